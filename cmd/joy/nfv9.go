package main

import "fmt"

// collectNFv9 runs the NetFlow v9 collector of nfv9_port=N.
func (r *runner) collectNFv9() int {
	fmt.Fprintf(r.stderr, "joy: nfv9_port=%d: the NetFlow v9 collector is not in this build yet\n", r.s.nfv9Port)
	return 1
}
