package sleuth_test

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/gojoy/libjoy/joy/sleuth"
)

const records = `{"version":"2.1-dev","end-config":1}
{"sa":"10.0.0.1","da":"1.1.1.1","pr":6,"sp":50000,"dp":443,"bytes_out":900,"tls":{"s_version":5}}
{"sa":"10.0.0.1","da":"8.8.8.8","pr":17,"sp":50001,"dp":53,"bytes_out":40}
{"sa":"10.0.0.2","da":"1.1.1.1","pr":6,"sp":50002,"dp":443,"bytes_out":1200,"tls":{"s_version":4}}
{"sa":"10.0.0.1","da":"9.9.9.9","pr":6,"sp":50003,"dp":443,"bytes_out":300}
`

// Count the HTTPS flows of each source address.
func ExampleRun() {
	q := sleuth.Query{Where: "dp = 443", GroupBy: []string{"sa"}, Dist: true}
	if _, err := sleuth.Run(q, os.Stdout, strings.NewReader(records)); err != nil {
		log.Fatal(err)
	}
	// Output:
	// {"sa":"10.0.0.1","count":2,"total":2}
	// {"sa":"10.0.0.2","count":1,"total":1}
}

// Select nested keys, and sum per group.
func ExampleRun_selectAndSum() {
	sleuth.Run(sleuth.Query{Where: "tls.s_version >= 5 or bytes_out < 100", Select: []string{"da", "tls.s_version"}},
		os.Stdout, strings.NewReader(records))
	sleuth.Run(sleuth.Query{GroupBy: []string{"pr"}, Sum: []string{"bytes_out"}}, os.Stdout, strings.NewReader(records))
	// Output:
	// {"da":"1.1.1.1","tls":{"s_version":5}}
	// {"da":"8.8.8.8"}
	// {"pr":6,"bytes_out":2400,"count":3}
	// {"pr":17,"bytes_out":40,"count":1}
}

// Use a compiled expression directly.
func ExampleCompile() {
	e, err := sleuth.Compile("pr = 6 and (dp = 443 or dp = 80) and not tls")
	if err != nil {
		log.Fatal(err)
	}
	ok, _ := e.MatchJSON([]byte(`{"pr":6,"dp":443,"bytes_out":300}`))
	fmt.Println(ok)
	_, err = sleuth.Compile("dp = 443 and (")
	fmt.Println(err)
	// Output:
	// true
	// bad --where expression at column 15: expected a key, "(" or "not", found end of expression
}
