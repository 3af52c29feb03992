package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/anon"
	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/label"
	"github.com/gojoy/libjoy/joy/logx"
)

// defaultLabelURL is what URLlabel=default fetched in the original (its
// "malware" IP list).
const defaultLabelURL = "http://www.talosintelligence.com/feeds/ip-filter.blf"

// maxFetch bounds a fetched file.
const maxFetch = 64 << 20

// updater fetches classifier parameters (URLmodel + the model= file
// names) and a subnet list (URLlabel) at start and then every
// update_interval, as the original's updater thread did. A fetched
// file that differs from the last one and parses completely is built
// into a new model or label set, which the context swaps in at its next
// safe point (apply): the records printed from then on use it, and no
// flow is lost or printed twice. A failed fetch or parse keeps what is in
// force and is logged.
type updater struct {
	s      *settings
	log    *logx.Logger
	client *http.Client
	base   *label.Labels // the label= sets, kept beside the fetched one

	model  atomic.Pointer[classify.Model]
	labels atomic.Pointer[label.Labels]

	lastSPLT, lastBD, lastLabel [sha256.Size]byte

	stopc chan struct{}
	wg    sync.WaitGroup

	// Counts of swaps made, for tests and the log; applied holds, per
	// context, the counts it has taken.
	modelSwaps, labelSwaps atomic.Uint64
	applied                sync.Map
}

func startUpdater(s *settings, log *logx.Logger) *updater {
	u := &updater{s: s, log: log, client: &http.Client{Timeout: 40 * time.Second}, stopc: make(chan struct{})}
	if s.cfg.SubnetLabels != nil {
		u.base = s.cfg.SubnetLabels.Clone()
	}
	u.fetchAll() // the first fetch before any packet, as the original's thread started with one
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		t := time.NewTicker(time.Duration(s.updateEvery) * time.Second)
		defer t.Stop()
		for {
			select {
			case <-u.stopc:
				return
			case <-t.C:
				u.fetchAll()
			}
		}
	}()
	return u
}

func (u *updater) stop() {
	close(u.stopc)
	u.wg.Wait()
}

// apply swaps in what was fetched since ctx's last call. It runs on the
// context's goroutine, between packets; with several contexts (live
// threads=N) each takes every new model and label set once.
func (u *updater) apply(ctx *joy.Context) {
	v, _ := u.applied.LoadOrStore(ctx, new(appliedSwaps))
	seen := v.(*appliedSwaps)
	if n := u.modelSwaps.Load(); n != seen.model {
		seen.model = n
		if m := u.model.Load(); m != nil && u.s.cfg.Classify {
			ctx.SetClassifier(m)
			u.log.Logf(logx.Info, "URLmodel: new classifier parameters in force")
		}
	}
	if n := u.labelSwaps.Load(); n != seen.labels {
		seen.labels = n
		if l := u.labels.Load(); l != nil {
			ctx.SetLabels(l)
			u.log.Logf(logx.Info, "URLlabel: new subnet labels in force")
		}
	}
}

// appliedSwaps is how many swaps one context has taken.
type appliedSwaps struct{ model, labels uint64 }

func (u *updater) fetchAll() {
	if u.s.urlModel != "" {
		u.fetchModel()
	}
	if u.s.urlLabel != "" {
		u.fetchLabels()
	}
}

func (u *updater) fetch(url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxFetch+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	if len(b) > maxFetch {
		return nil, fmt.Errorf("%s: larger than %d bytes", url, maxFetch)
	}
	return b, nil
}

func (u *updater) fetchModel() {
	spltName, bdName, _ := strings.Cut(u.s.model, ":")
	base := strings.TrimRight(u.s.urlModel, "/")
	splt, err := u.fetch(base + "/" + spltName)
	if err != nil {
		u.log.Logf(logx.Err, "URLmodel: %v; the classifier in force is kept", err)
		return
	}
	bd, err := u.fetch(base + "/" + bdName)
	if err != nil {
		u.log.Logf(logx.Err, "URLmodel: %v; the classifier in force is kept", err)
		return
	}
	hs, hb := sha256.Sum256(splt), sha256.Sum256(bd)
	if hs == u.lastSPLT && hb == u.lastBD {
		u.log.Logf(logx.Info, "URLmodel: parameters unchanged")
		return
	}
	m := classify.Default()
	if err := m.Load(bytes.NewReader(splt), bytes.NewReader(bd)); err != nil {
		u.log.Logf(logx.Err, "URLmodel: %v; the classifier in force is kept", err)
		return
	}
	u.lastSPLT, u.lastBD = hs, hb
	u.model.Store(m)
	u.modelSwaps.Add(1)
}

func (u *updater) fetchLabels() {
	url := u.s.urlLabel
	if strings.EqualFold(url, "default") {
		url = defaultLabelURL
	}
	b, err := u.fetch(url)
	if err != nil {
		u.log.Logf(logx.Err, "URLlabel: %v; the labels in force are kept", err)
		return
	}
	h := sha256.Sum256(b)
	if h == u.lastLabel {
		u.log.Logf(logx.Info, "URLlabel: list unchanged")
		return
	}
	subnets, err := anon.ParseSubnets(bytes.NewReader(b), false)
	if err != nil {
		u.log.Logf(logx.Err, "URLlabel: %s: %v; the labels in force are kept", url, err)
		return
	}
	l := label.New()
	if u.base != nil {
		l = u.base.Clone()
	}
	if err := l.Add("malware", subnets); err != nil {
		u.log.Logf(logx.Err, "URLlabel: %v; the labels in force are kept", err)
		return
	}
	u.lastLabel = h
	u.labels.Store(l)
	u.labelSwaps.Add(1)
}
