"""Use cases: each public function is one command in one unit of work."""
