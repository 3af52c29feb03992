package live_test

import (
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/live"
	"github.com/gojoy/libjoy/joy/logx"
)

// Two contexts fed by a fanout group, each on its own goroutine, until
// stop is set. A filter in tcpdump syntax would come from
// pcapbpf.Compile(int(link), pcapbpf.DefaultSnaplen, "tcp") with link
// from live.LinkTypeOf.
func Example() {
	c, err := live.Open(live.Options{Interface: "eth0", Members: 2})
	if err != nil {
		return
	}
	defer c.Close()
	cfg := &joy.Config{Bidir: true, Type: 1}
	log := logx.New(os.Stderr, 4)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for _, m := range c.Members() {
		wg.Add(1)
		go func(m *live.Member) {
			defer wg.Done()
			ctx := joy.NewContext(cfg, os.Stdout, log) // os.Stdout: one write per PrintFlows
			ctx.SetLinkType(c.LinkType())
			for !stop.Load() {
				if n, err := m.Read(100*time.Millisecond, ctx.ProcessPacket); err == nil && n > 0 {
					ctx.PrintFlows(joy.ExpiredFlows)
				}
			}
			ctx.PrintFlows(joy.AllFlows)
		}(m)
	}
	time.Sleep(10 * time.Second)
	stop.Store(true)
	wg.Wait()
	st := c.Stats()
	_ = st.Received - st.Dropped
}
