package main

import (
	"io"
	"os"

	"github.com/gojoy/libjoy/joy/plot"
	"github.com/gojoy/libjoy/joy/sleuth"
	"github.com/gojoy/libjoy/joy/train"
)

// runAnalysis runs the analysis subcommands on flow records:
//
//	joy train  -p POS -n NEG -m -l -t [-d] -o params.txt   fit classifier parameters
//	joy sleuth [--where EXPR] [--select K,..] ... FILE...  query records
//	joy plot   [--index N | --where EXPR] -o flow.svg FILE  draw one flow
//
// name is the subcommand and args the words after it. handled is false
// when name is not one of them (the caller then treats the arguments as
// the capture tool's). Standard input is read by sleuth, plot and train
// for "-" or, for sleuth and plot, when no file is given.
func runAnalysis(name string, args []string, stdout, stderr io.Writer) (code int, handled bool) {
	switch name {
	case "train":
		return train.Main(args, os.Stdin, stdout, stderr), true
	case "sleuth":
		return sleuth.Main(args, os.Stdin, stdout, stderr), true
	case "plot":
		return plot.Main(args, os.Stdin, stdout, stderr), true
	}
	return 0, false
}
