package ipfix

import (
	"io"
	"sync"
	"sync/atomic"
)

// Batches of the background writer: a batch holds up to batchMessages
// finished messages, and the exporter owns one batch while the writer
// holds up to sendBatches-1.
const (
	batchMessages = 64
	sendBatches   = 4
)

type batch struct {
	bufs [batchMessages][]byte
	recs [batchMessages]uint32 // data records in each message
	n    int
}

// sender writes batches of messages in its own goroutine.
type sender struct {
	w       io.Writer
	mm      *mmsgWriter // one system call per batch, when the writer allows
	full    chan *batch
	free    chan *batch
	done    chan struct{}
	pending sync.WaitGroup // batches handed over and not written yet

	messages, records, errors atomic.Uint64
	hasErr                    atomic.Bool
	mu                        sync.Mutex
	lastErr                   error // the last failed write
	newErr                    error // the first failed write not returned yet
}

func newSender(w io.Writer, maxMessage int) *sender {
	s := &sender{w: w, mm: newMmsgWriter(w), full: make(chan *batch, sendBatches), free: make(chan *batch, sendBatches),
		done: make(chan struct{})}
	for i := 0; i < sendBatches; i++ {
		b := new(batch)
		for j := range b.bufs {
			b.bufs[j] = make([]byte, 0, maxMessage)
		}
		s.free <- b
	}
	go s.run()
	return s
}

func (s *sender) run() {
	defer close(s.done)
	for b := range s.full {
		if s.mm != nil {
			s.mm.write(b.bufs[:b.n], func(i int, err error) { s.count(b.recs[i], err) })
		} else {
			for i, m := range b.bufs[:b.n] {
				_, err := s.w.Write(m)
				s.count(b.recs[i], err)
			}
		}
		b.n = 0
		s.pending.Done()
		s.free <- b
	}
}

// count records the outcome of one message's write.
func (s *sender) count(records uint32, err error) {
	if err == nil {
		s.messages.Add(1)
		s.records.Add(uint64(records))
		return
	}
	s.errors.Add(1)
	s.mu.Lock()
	s.lastErr = err
	if s.newErr == nil {
		s.newErr = err
	}
	s.mu.Unlock()
	s.hasErr.Store(true)
}

// takeErr returns the first failed write not returned yet, or nil.
func (s *sender) takeErr() error {
	if !s.hasErr.Load() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.newErr
	s.newErr = nil
	s.hasErr.Store(false)
	return err
}

func (s *sender) stats(st *Stats) {
	st.Messages = s.messages.Load()
	st.Records = s.records.Load()
	st.Errors = s.errors.Load()
	s.mu.Lock()
	st.LastError = s.lastErr
	s.mu.Unlock()
}
