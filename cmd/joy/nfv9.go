package main

// collectNFv9 runs the collector on nfv9_port (it takes NetFlow v9 and
// IPFIX alike) and prints each record as a JSON line in the IPFIX
// collector's form: the members the original filled from NetFlow v9 (sa,
// da, pr, sp, dp, bytes_out, num_pkts_out, time_start, time_end, packets).
func (r *runner) collectNFv9() int {
	s := r.s
	return collectNetFlowV9(s.nfv9Port, s.collectIdle, s.cfg.Output, s.cfg.OutputDir, r.dropPrivileges, r.stdout, r.stderr)
}
