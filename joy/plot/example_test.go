package plot_test

import (
	"bytes"
	"fmt"
	"log"
	"strings"

	"github.com/gojoy/libjoy/joy/plot"
	"github.com/gojoy/libjoy/joy/sleuth"
)

// Draw the first HTTPS flow of some records (os.Create a file instead of
// the buffer to keep the image).
func ExampleWrite() {
	records := `{"sa":"10.0.0.1","da":"10.0.0.2","pr":17,"sp":53000,"dp":53,"bytes_out":40,"num_pkts_out":1,"time_start":1.0,"time_end":1.0,"packets":[{"b":40,"dir":"<","ipt":0}]}
{"sa":"10.0.0.1","da":"10.0.0.3","pr":6,"sp":50000,"dp":443,"bytes_out":517,"num_pkts_out":3,"bytes_in":4000,"num_pkts_in":4,"time_start":2.0,"time_end":2.2,"packets":[{"b":517,"dir":">","ipt":20},{"b":1400,"dir":"<","ipt":25},{"b":1400,"dir":"<","ipt":0},{"b":1200,"dir":"<","ipt":1}]}
`
	rec, src, err := plot.Find([]string{"-"}, strings.NewReader(records), sleuth.MustCompile("dp = 443"), 0)
	if err != nil {
		log.Fatal(err)
	}
	var svg bytes.Buffer
	if err := plot.Write(&svg, rec, plot.Options{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(src, strings.Count(svg.String(), `class="out"`), strings.Count(svg.String(), `class="in"`))
	// Output: -:2 1 3
}
