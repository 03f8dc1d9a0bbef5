package main

import (
	"github.com/urfave/cli/v2"
)

// PLACEHOLDER until the extraction work lands.
func extractCommand(io *stdio) *cli.Command {
	return &cli.Command{Name: "extract", Usage: "extract values from one JSON body and print a summary"}
}
