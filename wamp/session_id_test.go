package wamp

import (
	"sync"
	"testing"
)

func TestSessionIDsInRangeWithTheirSlot(t *testing.T) {
	for _, slot := range []uint64{0, 1, 513, MaxNodeSlot} {
		for range 10000 {
			id := drawSessionID(slot)
			if !id.Valid() || id >= MaxID {
				t.Fatalf("slot %d: id %d out of [1, 2^53)", slot, id)
			}
			if uint64(id)&MaxNodeSlot != slot {
				t.Fatalf("slot %d: id %d carries slot %d", slot, id, uint64(id)&MaxNodeSlot)
			}
		}
	}
}

// TestSessionIDsUniqueOnANode joins sessions from several goroutines and
// checks that every id is issued once.
func TestSessionIDsUniqueOnANode(t *testing.T) {
	r, err := NewRouter(RouterConfig{NodeSlot: 7})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		seen = map[ID]bool{}
		wg   sync.WaitGroup
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2000 {
				s := r.V1Realm().NewSession(nopConn{}, &Protocol{Name: "test"}, nil)
				s.Join()
				mu.Lock()
				if seen[s.ID()] {
					t.Errorf("id %d issued twice", s.ID())
				}
				seen[s.ID()] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if r.Stats().Sessions != 16000 {
		t.Errorf("sessions %d", r.Stats().Sessions)
	}
}

// TestRegistryRefusesALiveID: Join draws again when the registry holds the
// id already.
func TestRegistryRefusesALiveID(t *testing.T) {
	g := newRegistry()
	a, b := &Session{id: 42 << slotBits}, &Session{id: 42 << slotBits}
	if !g.insert(a) || g.insert(b) {
		t.Fatal("the second session with the same id was registered")
	}
	g.remove(b) // not the registered one: no effect
	if g.get(a.id) != a {
		t.Fatal("removing another session with the same id removed the live one")
	}
	g.remove(a)
	if !g.insert(b) {
		t.Fatal("the id was not free after the first session left")
	}
}

func TestNodeSlotRange(t *testing.T) {
	for _, slot := range []int{-1, MaxNodeSlot + 1} {
		if _, err := NewRouter(RouterConfig{NodeSlot: slot}); err == nil {
			t.Errorf("slot %d accepted", slot)
		}
	}
}

// nopConn is a Conn that drops everything.
type nopConn struct{}

func (nopConn) SendText([]byte)      {}
func (nopConn) SendBinary([]byte)    {}
func (nopConn) SendFrame([]byte)     {}
func (nopConn) Close(uint16, string) {}
func (nopConn) RemoteAddr() string   { return "nop" }
