// Package behaviourtest checks behaviour.Handler implementations against the
// Handler contract without a network, in the spirit of testing/fstest.TestFS
// and testing/slogtest.
//
// [TestHandler] drives reads and writes through a handler, several transfers
// at once, and returns every violation of the contract it observes, joined.
// [Read], [Write] and [Run] move one whole transfer through a handler in
// memory, with a realistic *behaviour.Transfer, for users' own tests.
package behaviourtest
