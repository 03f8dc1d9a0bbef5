package scrape_test

import (
	"fmt"

	"github.com/sluicehq/sluice/scrape"
)

func ExampleRedact() {
	fmt.Println(scrape.Redact("https://api.example.com/v1/data?resource=AS3333&api_key=9f8e7d"))
	fmt.Println(scrape.Redact(`Get "https://bob:hunter2@example.com/x?token=abc&r=1": EOF`))
	// Output:
	// https://api.example.com/v1/data?resource=AS3333&api_key=REDACTED
	// Get "https://REDACTED@example.com/x?token=REDACTED&r=1": EOF
}

func ExampleCaptureName() {
	for _, node := range []string{"AS3333", "193.0.0.0/21", "../../etc/passwd"} {
		fmt.Println(scrape.CaptureName(node) + scrape.CaptureExt)
	}
	// Output:
	// AS3333.json.zst
	// 193.0.0.0_21~53c80f5908f60fd2.json.zst
	// _._.._etc_passwd~3754d6cb3a38e118.json.zst
}
