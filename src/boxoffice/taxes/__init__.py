"""The dated tax rules and films' state waivers as data (SPEC "Money"): their admin routes, and
the reads pricing makes of them (whether a theatre's inclusive prices fit the slabs in force).
The arithmetic they feed is `boxoffice.money`'s, pure and below every domain; this domain sits
above the catalogue, whose theatres and films it names."""
