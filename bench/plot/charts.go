package main

import (
	"fmt"
	"image/color"
	"math"

	"github.com/wampgate/wampgate/bench/suite"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Every chart has this size.
const (
	chartWidth  = 18 * vg.Centimeter
	chartHeight = 11 * vg.Centimeter
)

// drawAll writes every chart the report has data for, named stem-*.png,
// and returns the files written.
func drawAll(r *suite.Report, stem string) ([]string, error) {
	charts := []struct {
		suffix string
		make   func(*suite.Report) (*plot.Plot, error)
	}{
		{"-latency.png", latencyChart},
		{"-rss.png", rssChart},
		{"-efficiency.png", efficiencyChart},
	}
	var written []string
	for _, c := range charts {
		p, err := c.make(r)
		if err != nil {
			return written, fmt.Errorf("chart %s: %w", c.suffix, err)
		}
		if p == nil {
			continue
		}
		file := stem + c.suffix
		if err := p.Save(chartWidth, chartHeight, file); err != nil {
			return written, fmt.Errorf("saving %s: %w", file, err)
		}
		written = append(written, file)
	}
	return written, nil
}

// series is one line of a chart: a name and its points.
type series struct {
	name string
	xys  plotter.XYs
}

// backendSeries gives one series per poller, in order of first
// appearance, of (sessions, y(row)) over the backend rows with a result;
// a point whose y is not positive is left out (log scales).
func backendSeries(r *suite.Report, y func(suite.BackendRow) float64) []series {
	var out []series
	index := map[string]int{}
	for _, row := range r.Backends {
		if row.Result == nil || row.Result.Fanout == nil {
			continue
		}
		v := y(row)
		if v <= 0 || math.IsNaN(v) {
			continue
		}
		i, ok := index[row.Poller]
		if !ok {
			i = len(out)
			index[row.Poller] = i
			out = append(out, series{name: row.Poller})
		}
		out[i].xys = append(out[i].xys, plotter.XY{X: float64(row.Conns), Y: v})
	}
	return out
}

// lineChart draws series against sessions on a log axis; nil when there
// is nothing to draw.
func lineChart(title, yLabel string, logY bool, ss []series) (*plot.Plot, error) {
	if len(ss) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "subscribed sessions"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Label.Text = yLabel
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	} else {
		p.Y.Min = 0
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	args := make([]any, 0, 2*len(ss))
	for _, s := range ss {
		args = append(args, s.name, s.xys)
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return nil, err
	}
	return p, nil
}

// latencyChart: publish→event p99 against sessions, per poller.
func latencyChart(r *suite.Report) (*plot.Plot, error) {
	title := fmt.Sprintf("publish → event p99 at %s deliveries/s", suite.Thousands(int(r.Meta.DeliveriesBudget)))
	return lineChart(title, "p99 latency (ms)", true, backendSeries(r, func(row suite.BackendRow) float64 {
		return row.Result.Fanout.Latency.P99Ms
	}))
}

// rssChart: server RSS with every session open against sessions.
func rssChart(r *suite.Report) (*plot.Plot, error) {
	return lineChart("server RSS with every session subscribed", "RSS (MiB)", false, backendSeries(r, func(row suite.BackendRow) float64 {
		return float64(row.Result.Fanout.RSSConnectedKiB) / 1024
	}))
}

// efficiencyChart: deliveries per server CPU-second per fan-out
// configuration (subscribers × event size), one bar per poller, and the
// single-syscall floor as a line.
func efficiencyChart(r *suite.Report) (*plot.Plot, error) {
	var configs, pollers []string
	value := map[[2]string]float64{}
	for _, row := range r.Fanout {
		if row.Result == nil || row.Result.DeliveriesPerCPUSec <= 0 {
			continue
		}
		cfg := fmt.Sprintf("%s subs, %s", suite.Thousands(row.Conns), suite.SizeName(row.Size))
		configs = appendNew(configs, cfg)
		pollers = appendNew(pollers, row.Poller)
		value[[2]string{cfg, row.Poller}] = row.Result.DeliveriesPerCPUSec / 1e6
	}
	if len(configs) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = "fan-out: deliveries per server CPU-second"
	p.Y.Label.Text = "millions of deliveries per server CPU-second"
	p.Y.Min = 0
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	w := vg.Points(float64(18) / float64(len(pollers)) * 2)
	for i, poller := range pollers {
		vals := make(plotter.Values, len(configs))
		for j, cfg := range configs {
			vals[j] = value[[2]string{cfg, poller}]
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, err
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = w * vg.Length(float64(i)-float64(len(pollers)-1)/2)
		p.Add(bars)
		p.Legend.Add(poller, bars)
	}
	floor := r.Floor.DeliveriesPerCPUSec / 1e6
	top := floor
	for _, v := range value {
		top = max(top, v)
	}
	p.Y.Max = 1.3 * top // room for the legend above the bars
	if floor > 0 {
		line, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: floor}, {X: float64(len(configs)) - 0.5, Y: floor}})
		if err != nil {
			return nil, err
		}
		line.Color = color.RGBA{R: 200, A: 255}
		line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("one write per delivery (%.1f µs each)", r.Floor.WriteMicros), line)
	}
	p.NominalX(configs...)
	return p, nil
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}
