package natsbus

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/wampgate/wampgate/wamp"
)

// Subjects. Under the prefix (Config.SubjectPrefix):
//
//	<prefix>.hb                          presence: every node's heartbeats and goodbyes
//	<prefix>.node.<node>                 control messages to one node, in order
//	<prefix>.pub.<realm>.t.<c1>.<c2>…    a publication to topic c1.c2…
//	<prefix>.pub.<realm>.h.<hash>        a publication to a topic too long for a subject
//	<prefix>.ret.<realm>                 a retained publication's second copy (every node takes it)
//
// Every realm, node name and topic component becomes one subject token:
// letters, digits, '-' and '_' stay; every other byte (the '.', '*' and
// '>' NATS gives meaning, whitespace, '~', anything outside ASCII) is
// written '~' and two hex digits; an empty component is a lone '~'. The
// mapping is one to one, so a topic's subject names it exactly, and the
// topic's URI structure survives: a prefix or wildcard subscription maps
// to a NATS wildcard subject (patternSubjects).

// maxTopicSubject bounds the subject of a topic: longer ones are hashed
// (a NATS server refuses protocol lines beyond max_control_line, 4 KiB by
// default, which holds the subject).
const maxTopicSubject = 1024

// escapeToken writes s as one subject token.
func escapeToken(b *strings.Builder, s string) {
	if s == "" {
		b.WriteByte('~')
		return
	}
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('~')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
}

// token returns s as one subject token.
func token(s string) string {
	var b strings.Builder
	escapeToken(&b, s)
	return b.String()
}

// subjects names the subjects of one cluster (one prefix).
type subjects struct {
	prefix string
}

// checkPrefix validates a subject prefix: dot-separated tokens of
// letters, digits, '-' and '_'.
func checkPrefix(p string) error {
	if p == "" {
		return errors.New("empty subject prefix")
	}
	for _, t := range strings.Split(p, ".") {
		if t == "" || token(t) != t {
			return fmt.Errorf("subject prefix %q: tokens of letters, digits, '-' and '_' separated by dots", p)
		}
	}
	return nil
}

func (s subjects) presence() string        { return s.prefix + ".hb" }
func (s subjects) node(name string) string { return s.prefix + ".node." + token(name) }
func (s subjects) allPublications() string { return s.prefix + ".pub.>" }
func (s subjects) allRetained() string     { return s.prefix + ".ret.>" }
func (s subjects) retained(realm string) string {
	return s.prefix + ".ret." + token(realm)
}

// realmBase is the start of realm's publication subjects.
func (s subjects) realmBase(realm string) string { return s.prefix + ".pub." + token(realm) }

// publication is the subject of a publication to topic in realm.
func (s subjects) publication(realm, topic string) string {
	var b strings.Builder
	b.WriteString(s.realmBase(realm))
	b.WriteString(".t")
	for c := range strings.SplitSeq(topic, ".") {
		b.WriteByte('.')
		escapeToken(&b, c)
	}
	if b.Len() > maxTopicSubject {
		return s.hashed(realm, topic)
	}
	return b.String()
}

// hashed is the subject of a topic too long for publication's form.
func (s subjects) hashed(realm, topic string) string {
	sum := sha256.Sum256([]byte(topic))
	return s.realmBase(realm) + ".h." + hex.EncodeToString(sum[:16])
}

// patternSubjects returns the subjects a node subscribes to for local
// subscribers of (uri, m) in realm. An exact topic is its subject. A
// wildcard pattern maps each empty component to '*'. A prefix is a
// prefix of the string, not of components ("com.a" matches "com.ab"), so
// it maps to the subject of its complete components followed by '>'
// (every topic that shares them), a broader subject the router then
// filters. Patterns also take the realm's hashed subjects: a topic too
// long for a subject of its own may match them. Anything else that would
// not fit takes the whole realm.
func (s subjects) patternSubjects(realm, uri string, m wamp.Match) []string {
	switch m {
	case wamp.MatchExact:
		return []string{s.publication(realm, uri)}
	case wamp.MatchPrefix, wamp.MatchWildcard:
	default:
		return []string{s.realmBase(realm) + ".>"}
	}
	comps := strings.Split(uri, ".")
	var b strings.Builder
	b.WriteString(s.realmBase(realm))
	b.WriteString(".t")
	if m == wamp.MatchPrefix {
		for _, c := range comps[:len(comps)-1] {
			b.WriteByte('.')
			escapeToken(&b, c)
		}
		b.WriteString(".>")
	} else {
		for _, c := range comps {
			b.WriteByte('.')
			if c == "" {
				b.WriteByte('*')
			} else {
				escapeToken(&b, c)
			}
		}
	}
	if b.Len() > maxTopicSubject {
		return []string{s.realmBase(realm) + ".>"}
	}
	return []string{b.String(), s.realmBase(realm) + ".h.*"}
}
