package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/gojoy/libjoy/joy/logx"
)

// uploader copies closed output files to upload=user@server:path with
// scp, in the order they were closed. A failed copy keeps the file and
// its place in the queue, and is tried again every upload_retry seconds:
// nothing is lost, and files arrive in order. After a successful copy the
// local file is removed unless retain=1.
type uploader struct {
	s   *settings
	log *logx.Logger

	mu      sync.Mutex
	pending []string
	wake    chan struct{}
	done    chan struct{} // closed by finish
	exited  chan struct{}
	wait    time.Duration // set by finish: retry until this deadline
	failing bool
}

func newUploader(s *settings, log *logx.Logger) *uploader {
	u := &uploader{s: s, log: log, wake: make(chan struct{}, 1), done: make(chan struct{}), exited: make(chan struct{})}
	go u.loop()
	return u
}

// add queues a closed file.
func (u *uploader) add(path string) {
	u.mu.Lock()
	u.pending = append(u.pending, path)
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

func (u *uploader) loop() {
	defer close(u.exited)
	retry := time.Duration(u.s.uploadRetry) * time.Second
	var deadline time.Time
	finishing := false
	for {
		ok := u.drain()
		if finishing && (ok || time.Now().After(deadline)) {
			return
		}
		var timer <-chan time.Time
		if !ok {
			d := retry
			if finishing {
				d = min(retry, time.Until(deadline))
				d = max(d, 0)
			}
			timer = time.After(d)
		}
		select {
		case <-u.wake:
		case <-timer:
		case <-u.done:
			if !finishing {
				finishing = true
				deadline = time.Now().Add(u.wait)
			}
		}
	}
}

// drain uploads queued files in order until one fails; it reports
// whether the queue is empty.
func (u *uploader) drain() bool {
	for {
		u.mu.Lock()
		if len(u.pending) == 0 {
			u.mu.Unlock()
			return true
		}
		path := u.pending[0]
		u.mu.Unlock()
		if err := u.send(path); err != nil {
			if !u.failing {
				u.log.Logf(logx.Err, "upload of %s to %s failed, kept and retried every %d s: %v", path, u.s.upload, u.s.uploadRetry, err)
			}
			u.failing = true
			return false
		}
		if u.failing {
			u.log.Logf(logx.Warn, "upload to %s works again", u.s.upload)
			u.failing = false
		}
		u.log.Logf(logx.Info, "uploaded %s to %s", path, u.s.upload)
		if !u.s.retain {
			if err := os.Remove(path); err != nil {
				u.log.Logf(logx.Err, "removing uploaded %s: %v", path, err)
			}
		}
		u.mu.Lock()
		u.pending = u.pending[1:]
		u.mu.Unlock()
	}
}

// send runs scp once, as the original did ("scp -q -C -i KEY FILE DEST"),
// never asking for a password (BatchMode), with a bound on its time.
func (u *uploader) send(path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := []string{"-q", "-C", "-B", "-o", "ConnectTimeout=15"}
	if u.s.uploadConfig != "" {
		args = append(args, "-F", u.s.uploadConfig)
	}
	if u.s.keyfile != "" {
		args = append(args, "-i", u.s.keyfile)
	}
	args = append(args, "--", path, u.s.upload)
	out, err := exec.CommandContext(ctx, "scp", args...).CombinedOutput()
	if err != nil {
		if msg := strings.TrimSpace(string(out)); msg != "" {
			return &uploadError{err: err, msg: msg}
		}
		return err
	}
	return nil
}

type uploadError struct {
	err error
	msg string
}

func (e *uploadError) Error() string { return e.err.Error() + ": " + e.msg }

// finish waits for the queue to empty, retrying failed files for up to
// wait; it returns how many files are left (kept locally, and logged).
func (u *uploader) finish(wait time.Duration) int {
	u.wait = wait
	close(u.done)
	<-u.exited
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, p := range u.pending {
		u.log.Logf(logx.Err, "not uploaded, kept: %s", p)
	}
	return len(u.pending)
}
