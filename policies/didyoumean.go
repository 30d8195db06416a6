package policies

import "github.com/closeout-dev/closeout/internal/suggest"

// didYouMean is ` (did you mean "x"?)` for the candidate nearest word, or
// "" when none is near.
func didYouMean(word string, candidates []string) string {
	if near := suggest.Nearest(word, candidates); near != "" && near != word {
		return ` (did you mean "` + near + `"?)`
	}
	return ""
}
