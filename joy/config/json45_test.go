package config

import "testing"

// The configuration record of Cisco's joy_api_test2 run against Joy 4.5
// (ref/HEAD/f_api/joy_api_test2.run1/joy-output).
func TestAppendJSON45(t *testing.T) {
	c := Config{Output: "joy-output", OutputDir: "./", Info: "stderr", Labels: []string{"JoyAPITest"},
		Bidir: true, NumPkts: 50, IDP: 1300, Verbosity: 4, TLS: true, HTTP: true}
	want := `{"version":"4.5.0","interface":"none","promisc":0,"output":"joy-output","outputdir":"./","username":"none","info":"stderr","count":0,"upload":"none","keyfile":"none","label":"JoyAPITest","retain":0,"bidir":1,"num_pkts":50,"zeros":0,"retrans":0,"dist":0,"cdist":"none","entropy":0,"hd":0,"classify":0,"idp":1300,"exe":0,"anon":"none","useranon":"none","bpf":"none","verbosity":4,"threads":0,"updater":0,"wht":0,"example":0,"dns":0,"ssh":0,"tls":1,"dhcp":0,"dhcpv6":0,"http":1,"ike":0,"payload":0,"salt":0,"ppi":0,"fpx":0,"end-config":1}` + "\n"
	if got := string(c.AppendJSON45(nil)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
