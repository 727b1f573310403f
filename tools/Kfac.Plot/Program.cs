using Kfac.Plot;

// kfac-plot: training curves of one or several runs from metrics logs (JSON lines) as one PNG.
//   kfac-plot --out FILE.png [--metric NAME]... [--steps-only | --seconds-only] [--kfac | --no-kfac]
//             [--log-y | --linear-y] [--title TEXT] [--size WxH] LOG.jsonl[=LABEL]...
// Exit codes: 0 written, 2 a usage or input error (one line "error: ..." on stderr, no stack trace); see PlotMain.
return PlotMain.Run(args);
