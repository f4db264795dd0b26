"""Answers composed above the domains that each know a part of them: a booking with its payment
and refunds (`bookings`), and the routes that answer with one (`endpoints`)."""
