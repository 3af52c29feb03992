package main

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// dropPrivileges switches to username= once the input is open: its
// groups, group and user (all threads; Go applies setuid to every
// thread). Output files are created afterwards, as that user.
func (r *runner) dropPrivileges() int {
	name := r.s.username
	if name == "" {
		return 0
	}
	u, err := user.Lookup(name)
	if err != nil {
		fmt.Fprintf(r.stderr, "joy: username=%s: %v\n", name, err)
		return 1
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if os.Geteuid() != 0 {
		if os.Geteuid() == uid {
			return 0
		}
		fmt.Fprintf(r.stderr, "joy: username=%s: only root can change user (running as uid %d)\n", name, os.Geteuid())
		return 1
	}
	groups := []int{gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, g := range ids {
			if n, err := strconv.Atoi(g); err == nil && n != gid {
				groups = append(groups, n)
			}
		}
	}
	if err := syscall.Setgroups(groups); err != nil {
		fmt.Fprintf(r.stderr, "joy: username=%s: setgroups: %v\n", name, err)
		return 1
	}
	if err := syscall.Setgid(gid); err != nil {
		fmt.Fprintf(r.stderr, "joy: username=%s: setgid: %v\n", name, err)
		return 1
	}
	if err := syscall.Setuid(uid); err != nil {
		fmt.Fprintf(r.stderr, "joy: username=%s: setuid: %v\n", name, err)
		return 1
	}
	r.log.Always("changed user to '%s' (uid=%d gid=%d)", u.Username, uid, gid)
	return 0
}
