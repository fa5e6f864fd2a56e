package wamp

import (
	"math/rand/v2"
	"strconv"
)

// ID is a WAMP id: an integer in [1, MaxID], so that it survives a
// round trip through a JavaScript number. Session and publication ids are
// random (global scope), subscription ids are sequential per realm (router
// scope). 0 is never a valid id; in exclude and eligible lists it names
// nobody.
type ID uint64

// MaxID is the largest WAMP id, 2^53.
const MaxID ID = 1 << 53

// Valid reports whether id is in [1, MaxID].
func (id ID) Valid() bool { return id >= 1 && id <= MaxID }

// String is the id in decimal, as v1 sends session ids.
func (id ID) String() string { return strconv.FormatUint(uint64(id), 10) }

// randomID draws an id uniformly from [1, MaxID]: publication ids.
func randomID() ID { return ID(rand.Uint64N(uint64(MaxID))) + 1 }
