// Package pgstate is the state that filemux instances share in
// PostgreSQL: one connection pool per process ([State]), template
// inventories read from a query and reloaded when their rows change
// ([Inventory]), the history of every transfer ([History], the table
// filemux_transfers) and a cluster-wide reload ([State.OnReload],
// [State.NotifyReload]).
//
// It is internal: the daemon configures it from the configuration file
// (state: {postgres: DSN}), and its API exposes pgx. A Go program that
// wants records from elsewhere implements handlers.Records.
//
// # Change notification
//
// Every State holds one connection of its own (outside the pool) that
// LISTENs on the channels [InventoryChannel] and [ReloadChannel]. A
// NOTIFY on filemux_inventory, from any session, makes every instance
// reload its inventories; filemux creates a statement trigger that sends
// it, with the table's name as payload, on the tables an inventory names
// in Watch. A payload naming a table reloads the inventories that watch
// it and those that watch nothing; an empty payload reloads them all. Inventories also
// reload every TTL, and at once after the listening connection was lost
// and came back, since notifications sent meanwhile are lost. Reloads of
// one inventory never overlap: one goroutine runs them, and requests that
// arrive during a reload make one more.
package pgstate
