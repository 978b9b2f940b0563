package seedfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
)

// delimiterCandidates are tried in order; ties go to the earlier one.
const delimiterCandidates = ",;\t|"

var errEmpty = errors.New("file is empty (a header row is needed)")

// headerProbe bounds how much of a file is read to find its header row.
const headerProbe = 1 << 20

// sniffDelimiter picks the delimiter of a CSV file from its header row: the
// candidate splitting it into the most fields. Seeds always have a header,
// and deciding from it (rather than from the data) keeps a malformed data
// row from changing how the whole file is read.
func sniffDelimiter(path string) (rune, error) {
	head, err := readHead(path)
	if err != nil {
		return 0, err
	}
	if len(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\ufeff")))) == 0 {
		return 0, errEmpty
	}
	return delimiterOf(head), nil
}

func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head, err := io.ReadAll(io.LimitReader(f, headerProbe))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return head, nil
}

// delimiterOf returns the delimiter candidate giving the first record of
// data the most fields; ',' when none splits it.
func delimiterOf(data []byte) rune {
	best, bestN := ',', 1
	for _, c := range delimiterCandidates {
		if n := fieldCount(data, c); n > bestN {
			best, bestN = c, n
		}
	}
	return best
}

// fieldCount is the number of fields of the first record of data split by
// delim (RFC 4180 quoting, lenient about stray quotes); 0 for no record.
func fieldCount(data []byte, delim rune) int {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = delim
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	rec, err := r.Read()
	if err != nil {
		var perr *csv.ParseError
		// A partial record (e.g. a header cut by headerProbe) still counts.
		if !errors.As(err, &perr) || len(rec) == 0 {
			return 0
		}
	}
	return len(rec)
}
