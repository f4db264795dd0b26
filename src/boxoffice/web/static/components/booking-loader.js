// Opens a booking for its page, or draws the page that says why it cannot, with a next step:
// signed out (sign in and come back), not this visitor's booking, or the server unreachable.
import { get, session } from "../api.js";
import { notice, signInHere } from "../ui.js";

export async function loadBooking(main, bookingId) {
  if (!session.token()) {
    signInFirst(main);
    return null;
  }
  try {
    return await get(`/api/v1/bookings/${bookingId}`);
  } catch (error) {
    if (error.status === 401) signInFirst(main);
    else if (error.status === 404 || error.status === 422) notFound(main);
    else throw error;
    return null;
  }
}

function signInFirst(main) {
  notice(main, "Sign in to see this booking",
    "A booking is shown only to the person who made it. Sign in with the account you booked with, and this page opens again.",
    [["Sign in", signInHere()], ["See what's showing", "/"]]);
}

function notFound(main) {
  const steps = session.isSignedIn()
    ? [["My bookings", "/bookings"], ["See what's showing", "/"]]
    : [["Sign in", signInHere()], ["My bookings", "/bookings"]];
  notice(main, "Booking not found",
    "This booking is not in your account or on this device. If you booked on another device as a guest, open the link there, or sign in with the account you booked with.",
    steps);
}
