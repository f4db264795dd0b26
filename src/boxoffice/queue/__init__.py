"""The fair on-sale queue (issue 29, part 2): shows sold through one queue, an on-sale's.

- **On-sales.** An on-sale (`catalogue.models.OnSale`, its shows in `onsale_shows`) groups
  shows behind one queue: one opening, one draw with a published seed, one pace, one place per
  visitor, and an admission that lets its visitor hold seats of any of its shows. A manager of
  every show's theatre (or an admin, who may span theatres) makes one (`POST /onsales`), adds
  and removes shows and moves nothing once it has opened, and lifts it (`DELETE`): the rules are
  `onsales`, the routes `onsale_endpoints`. A show's own queue (`PUT /shows/{id}/queue
  {"opens_at"}`; `DELETE` lifts it) is an on-sale of that one show: there is one code path.
  Each show keeps its on-sale's opening in `queue_opens_at` (catalogue) while it is in force.
- **Doors.** Every visitor route has two: a show's (`/shows/{id}/queue...`, which leads to its
  on-sale) and the on-sale's (`/onsales/{id}/queue...`); both lead to the same queue.
- **Joining.** `POST .../queue` (anyone, rate-limited per address) gives a place: a visitor id
  and its signed visitor token (`tokens`, naming the on-sale), returned and set as an HttpOnly
  cookie scoped to the queue's routes of that door, so a reload keeps the place.
- **The draw.** Made once, by the first request after the opening in any process (the insert
  of the `queue_draws` row decides; a racing insert waits for it and loses). Its seed is 32
  random bytes, published afterwards (`GET .../queue/draw`, with the places at
  `.../queue/draw/places`); the visitors who joined before the opening take positions 1..n in
  ascending order of SHA-256(seed || visitor id bytes) (`service.ALGORITHM`): anyone can
  recompute it. A visitor whose join committed while the draw was being made, and later
  arrivals, take the next place (one UPDATE of the draw's row).
- **Pacing.** The pace (`QUEUE_ADMIT_PER_SECOND`, the capacity `make bench` measured as safe)
  is fixed in the draw as a step in microseconds; each place has an admission time,
  `opens_at + offset`: position p of the draw at `(p - 1) * step`, a later arrival at
  `max(now, last + step)`. So admission is computed, not pushed: the same in every process
  and after a restart, with no timer and no worker; a queue that ran dry admits a newcomer at
  once, and never faster than the pace.
- **Admission.** `GET .../queue/me` (or the stream) tells a visitor its position, how many are
  ahead, an estimate, and once its time has come records the admission (once) and gives an
  admission token: Ed25519, with the tickets' keys (`tickets.keys`), for the on-sale and the
  visitor, valid `QUEUE_ADMISSION_TTL_SECONDS`. A hold of any show of the on-sale must carry it
  in `X-Admission-Token` (`gate`, given to the sale path by the app factory: bookings does not
  know this package; the sale path keeps each show's on-sale with its summary); another
  on-sale's admission is refused, and a show that is not queued costs the hold nothing more.
- **Lifting** an on-sale (at any time, as a show's queue always could be) puts its shows on
  sale to all; a draw made stays published, and visitors not yet placed are told `OPEN`.
- **Live.** `GET .../queue/stream` (server-sent events) sends the place when it changes, the
  last one with the admission; between database reads the place moves by the pace, computed.
- **The crowd.** On PostgreSQL a join before the opening and a placed visitor's read are
  answered in front of the router (`lane`), one statement each, and the joins that arrive
  together in a process one statement for all (`batches`); the routes answer the rest.
- **State.** PostgreSQL or SQLite. Redis is not used for the queue.
"""
