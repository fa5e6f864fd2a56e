// Package buildinfo reads what the Go toolchain recorded in the running
// binary: the module version `go install …@VERSION` built, and the VCS
// revision of a build from a git checkout.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"sync"
)

// Info is what the binary knows about its own build.
type Info struct {
	// Module is the main module's version: "v0.2.0" when built by
	// `go install module@v0.2.0`, "(devel)" from a checkout.
	Module string `json:"module"`
	// Revision is the VCS commit of a build from a checkout ("" when
	// unknown, e.g. `go install …@VERSION`, which records the version
	// instead); Modified says the work tree had uncommitted changes.
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	// Go is the toolchain that built the binary.
	Go string `json:"go"`
}

// Read returns the running binary's build information (read once).
var Read = sync.OnceValue(func() Info {
	info := Info{Module: "(unknown)", Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	info.Module = bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
})

// ShortRevision is the first 12 characters of the revision, with
// "-dirty" when the tree was modified; "" when unknown.
func (i Info) ShortRevision() string {
	r := i.Revision
	if len(r) > 12 {
		r = r[:12]
	}
	if r != "" && i.Modified {
		r += "-dirty"
	}
	return r
}
