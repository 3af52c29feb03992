package main

import (
	"fmt"
	"io"
	"net"
	"strings"
)

// suitableInterfaces are the interfaces the original listed: not
// loopback ("lo..."), with an IPv4 or IPv6 address.
func suitableInterfaces() []net.Interface {
	all, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []net.Interface
	for _, i := range all {
		if strings.HasPrefix(i.Name, "lo") || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		if addrs, err := i.Addrs(); err == nil && len(addrs) > 0 {
			out = append(out, i)
		}
	}
	return out
}

// printInterfaces prints the interface list in the original's form
// (show_interfaces=1): name, one IPv4 and one IPv6 address, MAC.
func printInterfaces(w io.Writer) {
	ifs := suitableInterfaces()
	fmt.Fprintf(w, "\nInterfaces\n==========\n")
	for _, i := range ifs {
		fmt.Fprintf(w, "Interface: %s\n", i.Name)
		var v4, v6 string
		if addrs, err := i.Addrs(); err == nil {
			for _, a := range addrs {
				ip, _, err := net.ParseCIDR(a.String())
				if err != nil {
					continue
				}
				if ip.To4() != nil {
					v4 = ip.String()
				} else {
					v6 = ip.String()
				}
			}
		}
		if v4 != "" {
			fmt.Fprintf(w, "  IPv4 Address: %s\n", v4)
		}
		if v6 != "" {
			fmt.Fprintf(w, "  IPv6 Address: %s\n", v6)
		}
		if len(i.HardwareAddr) > 0 {
			fmt.Fprintf(w, "  MAC Address: %s\n", i.HardwareAddr)
		}
	}
	if len(ifs) == 0 {
		fmt.Fprintf(w, "No suitable interfaces found.\n\n")
	}
}
