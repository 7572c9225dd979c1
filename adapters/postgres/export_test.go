package postgres

// OnListen makes s call f after each LISTEN its event listener sends,
// before the listener confirms it.
func OnListen(s *Store, f func()) { s.onListen = f }
