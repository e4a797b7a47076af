-- The day a booking had before the booking system moved it: the counter shows
-- "dijadwalkan ulang" (rescheduled) with the earlier day.
ALTER TABLE bookings ADD COLUMN rescheduled_from TEXT;
