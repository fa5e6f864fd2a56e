package v2

import (
	"errors"
	"fmt"

	"github.com/wampgate/wampgate/wamp"
)

// This file holds the broker messages of a Session: SUBSCRIBE,
// UNSUBSCRIBE and PUBLISH.

// ErrTooManySubscriptions is the error URI answering a SUBSCRIBE beyond
// the per-session subscription limit (the spec has no URI for it).
const ErrTooManySubscriptions = "wampgate.error.too_many_subscriptions"

// handleSubscribe answers SUBSCRIBE with SUBSCRIBED (the same id when the
// session is already subscribed to the same topic and match), followed
// by the retained events when Options.get_retained is true, or with
// ERROR: invalid_argument for malformed options, invalid_uri, the hook's
// refusal, or the subscription limit.
func (s *Session) handleSubscribe(m *Message) error {
	match := wamp.MatchExact
	if v, ok := m.Dict["match"]; ok {
		name, _ := v.(string)
		if match, ok = wamp.ParseMatch(name); !ok || name == "" {
			s.sendError(Subscribe, m.Request, ErrInvalidArgument, `option "match" must be "exact", "prefix" or "wildcard"`)
			return nil
		}
	}
	getRetained, ok := boolOption(m.Dict, "get_retained", false)
	if !ok {
		s.sendError(Subscribe, m.Request, ErrInvalidArgument, `option "get_retained" must be a boolean`)
		return nil
	}
	if !wamp.ValidURI(m.URI, match, false) {
		s.sendError(Subscribe, m.Request, ErrInvalidURI, fmt.Sprintf("%q is not a valid %s topic URI", m.URI, match))
		return nil
	}
	if s.core.Hooked() {
		req := m.Request
		s.core.SubscribeThen(m.URI, match, func(sub *wamp.Subscription, _ bool, err error) {
			s.subscribed(req, getRetained, sub, err)
		})
		return nil
	}
	sub, _, err := s.core.Subscribe(m.URI, match)
	s.subscribed(m.Request, getRetained, sub, err)
	return nil
}

// subscribed answers the SUBSCRIBE req: SUBSCRIBED and the retained
// events, or ERROR for err.
func (s *Session) subscribed(req uint64, getRetained bool, sub *wamp.Subscription, err error) {
	if err != nil {
		uri, text := refusal(err)
		s.sendError(Subscribe, req, uri, text)
		return
	}
	s.send(&Message{Type: Subscribed, Request: req, ID: uint64(sub.ID())})
	if getRetained {
		for _, pub := range s.core.Retained(sub, nil) {
			if ev, ok := s.proto.event(pub, sub, true); ok {
				s.send(&ev)
			}
		}
	}
}

// handleUnsubscribe answers UNSUBSCRIBE with UNSUBSCRIBED, or ERROR
// wamp.error.no_such_subscription.
func (s *Session) handleUnsubscribe(m *Message) error {
	if err := s.core.Unsubscribe(wamp.ID(m.ID)); err != nil {
		uri, text := refusal(err)
		s.sendError(Unsubscribe, m.Request, uri, text)
		return nil
	}
	s.send(&Message{Type: Unsubscribed, Request: m.Request})
	return nil
}

// handlePublish publishes to the realm and, when Options.acknowledge is
// true, answers PUBLISHED with the publication id, or ERROR when the
// publication was refused (invalid_argument, invalid_uri, the hook's
// refusal). Without acknowledge a refused publication is dropped
// silently, as the spec has it.
func (s *Session) handlePublish(m *Message) error {
	ack := m.Dict["acknowledge"] == true
	pub, uri, text := s.publication(m)
	if pub != nil && s.core.Hooked() {
		req, topic := m.Request, m.URI
		s.core.PublishThen(pub, func(err error) {
			uri, text := "", ""
			if err != nil {
				uri, text = refusal(err)
			}
			s.published(ack, req, topic, pub, uri, text)
		})
		return nil
	}
	if pub != nil {
		if err := s.core.Publish(pub); err != nil {
			uri, text = refusal(err)
		}
	}
	s.published(ack, m.Request, m.URI, pub, uri, text)
	return nil
}

// published answers the PUBLISH req to topic: PUBLISHED when ack and
// the publication was accepted, ERROR uri when ack and it was refused,
// else nothing.
func (s *Session) published(ack bool, req uint64, topic string, pub *wamp.Publication, uri, text string) {
	switch {
	case !ack:
		if uri != "" {
			s.router.Logger().Debug("wamp v2: publication dropped", "session", s.ID(), "topic", topic, "err", uri+": "+text)
		}
	case uri != "":
		s.sendError(Publish, req, uri, text)
	default:
		s.send(&Message{Type: Published, Request: req, ID: uint64(pub.ID)})
	}
}

// publication builds the publication of PUBLISH m, with its payload
// copied out of the message buffer; on a malformed option or topic it
// returns nil and the error URI and text.
func (s *Session) publication(m *Message) (pub *wamp.Publication, uri, text string) {
	d := m.Dict
	pub = &wamp.Publication{Topic: m.URI}
	var ok [6]bool
	_, ok[0] = boolOption(d, "acknowledge", false)
	pub.ExcludeMe, ok[1] = boolOption(d, "exclude_me", true)
	pub.DiscloseMe, ok[2] = boolOption(d, "disclose_me", false)
	pub.Retain, ok[3] = boolOption(d, "retain", false)
	pub.Exclude, ok[4] = idsOption(d, "exclude")
	pub.Eligible, ok[5] = idsOption(d, "eligible")
	for i, name := range [...]string{"acknowledge", "exclude_me", "disclose_me", "retain", "exclude", "eligible"} {
		switch {
		case ok[i]:
		case i < 4:
			return nil, ErrInvalidArgument, fmt.Sprintf("option %q must be a boolean", name)
		default:
			return nil, ErrInvalidArgument, fmt.Sprintf("option %q must be a list of session ids (integers in [0, 2^53])", name)
		}
	}
	if text := authOptions(d, pub); text != "" {
		return nil, ErrInvalidArgument, text
	}
	if !wamp.ValidURI(m.URI, wamp.MatchExact, false) {
		return nil, ErrInvalidURI, fmt.Sprintf("%q is not a valid topic URI", m.URI)
	}
	pub.Args, pub.Kwargs = ownedPayload(m.Args, m.Kwargs, s.proto.ser.format)
	return pub, "", ""
}

// authFilterOptions are PUBLISH's authid and authrole filters.
var authFilterOptions = [...]string{"exclude_authid", "eligible_authid", "exclude_authrole", "eligible_authrole"}

// authOptions reads PUBLISH.Options exclude_authid, eligible_authid,
// exclude_authrole and eligible_authrole into pub.Auth, made only when
// one is present; text says what is malformed.
func authOptions(d map[string]any, pub *wamp.Publication) (text string) {
	for _, name := range authFilterOptions {
		if _, present := d[name]; !present {
			continue
		}
		list, ok := stringsOption(d, name)
		if !ok {
			return fmt.Sprintf("option %q must be a list of strings", name)
		}
		if pub.Auth == nil {
			pub.Auth = &wamp.PublicationAuth{}
		}
		switch a := pub.Auth; name {
		case "exclude_authid":
			a.ExcludeAuthID = list
		case "eligible_authid":
			a.EligibleAuthID = list
		case "exclude_authrole":
			a.ExcludeAuthRole = list
		default:
			a.EligibleAuthRole = list
		}
	}
	return ""
}

// refusal is the error URI and text answering err, a refusal by the
// core: a *wamp.URIError's own URI (e.g. a hook's choice, or
// no_such_subscription), the subscription limit, or
// wamp.error.not_authorized for any other hook refusal.
func refusal(err error) (uri, text string) {
	var ue *wamp.URIError
	switch {
	case errors.As(err, &ue):
		return ue.URI, ue.Message
	case errors.Is(err, wamp.ErrTooManySubscriptions):
		return ErrTooManySubscriptions, err.Error()
	}
	return ErrNotAuthorized, "refused by the router"
}
