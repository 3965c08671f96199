package catalog

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
)

// Hit kinds.
const (
	HitEntry = "entry"
	HitFAQ   = "faq"
)

// Hit is one search result: an entry (ID is its citation) or an FAQ (ID is
// the FAQ's identifier).
type Hit struct {
	Kind  string `json:"kind"`
	ID    string `json:"id"`
	Title string `json:"title"`
	// Score orders the hits; higher is better. Its scale is not stable.
	Score   int    `json:"score"`
	Snippet string `json:"snippet,omitempty"`
}

// field is a piece of searchable text with its weight; snip marks text that
// may serve as the hit's snippet.
type field struct {
	text   string
	weight int
	snip   bool
}

// document is something Search ranks.
type document struct {
	kind, id, title string
	fields          []field
}

var stopwords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "be": true, "by": true, "can": true, "do": true,
	"does": true, "for": true, "how": true, "i": true, "in": true, "is": true, "it": true, "may": true,
	"must": true, "my": true, "of": true, "on": true, "or": true, "our": true, "the": true, "to": true,
	"we": true, "what": true, "when": true, "with": true, "you": true, "your": true,
}

// numbers lets "six years" find "6 years".
var numbers = map[string]string{
	"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
	"eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
}

// tokens splits text into lower-case words, dropping stop words and writing
// small numbers as digits.
func tokens(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stopwords[w] {
			continue
		}
		if d, ok := numbers[w]; ok {
			w = d
		}
		out = append(out, w)
	}
	return out
}

// Search ranks the profile's entries and the FAQ against query. Every word of
// the query must occur (a word also matches longer words it starts, so
// "encrypt" finds "encryption") in an entry's citation, title, guidance, key
// activities, questions, notes or parameters, or in an FAQ's question or
// answer. Titles weigh most. A query that is a citation returns that entry
// first.
func (p *Profile) Search(query string) []Hit {
	var docs []document
	for _, e := range p.entries {
		docs = append(docs, entryDocument(e))
	}
	for _, f := range p.cat.faqs {
		docs = append(docs, faqDocument(f))
	}
	hits := rank(docs, query)
	if i, ok := p.resolve(query); ok {
		cite := p.entries[i].Citation
		hits = slices.DeleteFunc(hits, func(h Hit) bool { return h.Kind == HitEntry && h.ID == cite })
		hits = slices.Insert(hits, 0, Hit{Kind: HitEntry, ID: cite, Title: p.entries[i].Title, Score: 1000, Snippet: p.entries[i].Guidance.Summary})
	}
	return hits
}

// SearchFAQ ranks the FAQ against query, as [Profile.Search] does.
func (c *Catalog) SearchFAQ(query string) []Hit {
	var docs []document
	for _, f := range c.faqs {
		docs = append(docs, faqDocument(f))
	}
	return rank(docs, query)
}

func entryDocument(e Entry) document {
	d := document{kind: HitEntry, id: e.Citation, title: e.Title}
	add := func(w int, texts ...string) {
		for _, t := range texts {
			if t != "" {
				d.fields = append(d.fields, field{t, w, true})
			}
		}
	}
	d.fields = append(d.fields, field{e.Citation + " " + e.ProposedCitation, 6, false}, field{e.Title, 12, false})
	add(4, e.Guidance.Summary)
	for _, ka := range e.KeyActivities {
		add(3, ka.Title)
		add(2, ka.Questions...)
	}
	add(2, e.Questions...)
	add(2, e.Note)
	for _, prm := range e.Parameters {
		add(2, prm.Text)
	}
	add(1, e.Guidance.SmallPractice, e.Guidance.Hospital)
	add(1, e.Guidance.Evidence...)
	return d
}

func faqDocument(f FAQ) document {
	return document{kind: HitFAQ, id: f.ID, title: f.Question, fields: []field{
		{f.Question, 6, false}, {f.Topic, 4, false}, {f.Answer, 2, true},
	}}
}

var titleBonus = map[string]int{HitEntry: 60, HitFAQ: 30}

// rank scores documents for the query and returns the matches, best first;
// ties keep the documents' order.
func rank(docs []document, query string) []Hit {
	terms := tokens(query)
	if len(terms) == 0 || len(terms) > 32 {
		return nil
	}
	phrase := strings.Join(terms, " ")
	var hits []Hit
	for _, d := range docs {
		score, snippetField := 0, -1
		all := true
		for _, t := range terms {
			best := 0
			for fi, f := range d.fields {
				s := matchScore(tokens(f.text), t) * f.weight
				if s > best {
					best = s
				}
				if s > 0 && f.snip && (snippetField < 0 || f.weight > d.fields[snippetField].weight) {
					snippetField = fi
				}
				score += s
			}
			if best == 0 {
				all = false
				break
			}
		}
		if !all {
			continue
		}
		// A title that holds the whole query is what people are looking for.
		if title := strings.Join(tokens(d.title), " "); strings.Contains(title, phrase) {
			score += titleBonus[d.kind]
		}
		h := Hit{Kind: d.kind, ID: d.id, Title: d.title, Score: score}
		if snippetField < 0 {
			snippetField = slices.IndexFunc(d.fields, func(f field) bool { return f.snip })
		}
		if snippetField >= 0 {
			h.Snippet = snippet(d.fields[snippetField].text, terms)
		}
		hits = append(hits, h)
	}
	slices.SortStableFunc(hits, func(a, b Hit) int { return cmp.Compare(b.Score, a.Score) })
	return hits
}

// matchScore is 2 for each word equal to term and 1 for each word it starts,
// counting at most three matches.
func matchScore(words []string, term string) int {
	s, n := 0, 0
	for _, w := range words {
		switch {
		case w == term:
			s += 2
		case len(term) >= 3 && strings.HasPrefix(w, term):
			s++
		default:
			continue
		}
		if n++; n == 3 {
			break
		}
	}
	return s
}

// snippet returns the sentence of text that contains the first term, cut to
// a readable length.
func snippet(text string, terms []string) string {
	const max = 200
	sentences := strings.SplitAfter(text, ". ")
	pick := text
	for _, s := range sentences {
		if slices.ContainsFunc(tokens(s), func(w string) bool {
			return slices.ContainsFunc(terms, func(t string) bool { return strings.HasPrefix(w, t) })
		}) {
			pick = s
			break
		}
	}
	pick = strings.TrimSpace(pick)
	if r := []rune(pick); len(r) > max {
		pick = string(r[:max-1]) + "…"
	}
	return pick
}
