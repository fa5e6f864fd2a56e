// Command pricebid embeds a wampgate node in a Go program, the way the
// original Ratchet project's price topic worked: a bid published on
// "price/channel" is validated before it is broadcast (a bid must beat the
// current price), rewritten to name its bidder, and an RPC returns the
// current price.
//
//	go run ./examples/pricebid --addr 127.0.0.1:8095
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/wampgate/wampgate/gateway"
	"github.com/wampgate/wampgate/wamp"
)

// PriceTopic carries bids; CurrentPriceProc answers the current price.
const (
	PriceTopic       = "price/channel"
	CurrentPriceProc = "http://example.com/price#current"
)

// bid is the event clients publish and receive on PriceTopic.
type bid struct {
	Price  float64 `json:"price"`
	Bidder string  `json:"bidder,omitempty"`
}

// Auction is the Handler: it keeps the best bid and vetoes lower ones.
type Auction struct {
	wamp.BaseHandler
	mu    sync.Mutex
	price float64
}

// errLowBid vetoes a bid that does not beat the current price.
var errLowBid = errors.New("bid does not beat the current price")

// OnPublish validates and rewrites bids; other topics pass unchanged.
func (a *Auction) OnPublish(p wamp.Peer, pub *wamp.Publication) error {
	if pub.Topic != PriceTopic {
		return nil
	}
	var b bid
	if err := json.Unmarshal(pub.Event(), &b); err != nil || b.Price <= 0 {
		return fmt.Errorf("malformed bid from %s", p.ID())
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if b.Price <= a.price {
		return errLowBid
	}
	a.price = b.Price
	b.Bidder = p.ID().String()
	event, err := json.Marshal(b)
	if err != nil {
		return err
	}
	pub.SetEvent(event)
	return nil
}

// OnCall answers CurrentPriceProc; other procedures get the default error
// (wamp.error.no_such_procedure).
func (a *Auction) OnCall(p wamp.Peer, call *wamp.Call) {
	if call.Procedure != CurrentPriceProc {
		a.BaseHandler.OnCall(p, call)
		return
	}
	a.mu.Lock()
	price := a.price
	a.mu.Unlock()
	_ = call.Result(map[string]float64{"price": price})
}

// newNode builds the node with the Auction handler.
func newNode(addr string, log *slog.Logger) (*gateway.Node, error) {
	cfg := gateway.DefaultConfig()
	cfg.Addr = addr
	cfg.Handler = &Auction{}
	cfg.Logger = log
	return gateway.New(cfg)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8095", "listen address")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	node, err := newNode(*addr, log)
	if err == nil {
		err = node.Start()
	}
	if err != nil {
		log.Error("pricebid", "err", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	_ = node.Shutdown(context.Background())
}
