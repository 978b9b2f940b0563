package adapter

import (
	"errors"
	"net/url"
	"sort"
	"strings"
)

// Mask replaces a secret wherever ingot shows text that could hold one:
// errors, `ingot debug`, logs.
const Mask = "****"

// Secrets are strings (passwords, tokens) that must never be shown. The
// zero value holds none. Add each secret once; its URL-escaped spellings,
// which connection strings and driver errors use, are covered too.
type Secrets struct {
	forms []string // every spelling, longest first
}

// Add records secrets ("" is ignored).
func (s *Secrets) Add(secrets ...string) {
	seen := map[string]bool{}
	for _, f := range s.forms {
		seen[f] = true
	}
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, f := range []string{sec, url.QueryEscape(sec), url.PathEscape(sec), url.UserPassword("", sec).String()[1:]} {
			if f != "" && !seen[f] {
				seen[f] = true
				s.forms = append(s.forms, f)
			}
		}
	}
	// Longest first, so a secret that contains another is masked whole.
	sort.Slice(s.forms, func(i, j int) bool { return len(s.forms[i]) > len(s.forms[j]) })
}

// String masks every secret in text.
func (s *Secrets) String(text string) string {
	for _, f := range s.forms {
		text = strings.ReplaceAll(text, f, Mask)
	}
	return text
}

// Error masks every secret in err's message. The result still matches
// errors.Is for the original chain (context.Canceled, ErrLocked), but does
// not unwrap, so nothing can print the original message.
func (s *Secrets) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := s.String(msg)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, orig: err}
}

type redactedError struct {
	msg  string
	orig error
}

func (e *redactedError) Error() string        { return e.msg }
func (e *redactedError) Is(target error) bool { return errors.Is(e.orig, target) }

// DSNPasswords extracts the passwords of a URL (user:pw@host) or
// key=value (password=pw) connection string without parsing it fully, so
// that they can be masked even when the string is invalid.
func DSNPasswords(dsn string) []string {
	if dsn == "" {
		return nil
	}
	var out []string
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p)
		}
	}
	if i := strings.Index(dsn, "password="); i >= 0 {
		v := dsn[i+len("password="):]
		if strings.HasPrefix(v, "'") {
			if j := strings.Index(v[1:], "'"); j >= 0 {
				v = v[1 : j+1]
			}
		} else if j := strings.IndexAny(v, " &"); j >= 0 {
			v = v[:j]
		}
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
