// Package backoffice holds what the back office does with the book and its cases: screen
// the book and start the selected accounts' cases (ranked by expected recovery, each in its
// strategy's arm), train and promote the propensity-to-pay models, keep the
// champion/challenger strategies, and report on closed cases, overall and by strategy.
package backoffice
