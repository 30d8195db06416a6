// Command closeout checks that a compromised Microsoft 365 / Entra ID account
// was fully remediated, and scans a tenant for exposed accounts.
package main

import "os"

func main() { os.Exit(Run(os.Args[1:], SystemStreams())) }
