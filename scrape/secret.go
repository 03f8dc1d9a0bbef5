package scrape

// SecretName reports whether a query parameter, header or template
// variable with this name holds a secret (key, token, password …), as the
// Client judges when it redacts. Callers that write URLs or parameters
// somewhere (a manifest, a log of their own) use it to do the same.
func SecretName(name string) bool { return secretName.MatchString(name) }
