// Money from integer minor units, and dates, as Indian readers write them.

const SYMBOLS = { INR: "₹" };

function minorDigits(currency) {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

// 12345600 paise → "₹1,23,456.00": the last three digits, then groups of two.
export function money(minor, currency = "INR") {
  const digits = minorDigits(currency);
  const scale = 10 ** digits;
  const sign = minor < 0 ? "-" : "";
  const whole = String(Math.floor(Math.abs(minor) / scale));
  const fraction = digits ? `.${String(Math.abs(minor) % scale).padStart(digits, "0")}` : "";
  const head = whole.slice(0, -3);
  const grouped = head ? `${head.replace(/\B(?=(\d{2})+(?!\d))/g, ",")},${whole.slice(-3)}` : whole;
  const symbol = SYMBOLS[currency] || `${currency} `;
  return `${sign}${symbol}${grouped}${fraction}`;
}

// As a price tag: whole rupees where there are no paise (₹180, but ₹180.50).
export function price(minor, currency = "INR") {
  return money(minor, currency).replace(/\.0+$/, "");
}

export function showTime(iso, timeZone) {
  return new Date(iso).toLocaleTimeString("en-IN", { hour: "2-digit", minute: "2-digit", timeZone });
}

export function showDate(iso, timeZone) {
  return new Date(iso).toLocaleDateString("en-IN", { weekday: "short", day: "numeric", month: "short", timeZone });
}

export function dateTime(iso, timeZone) {
  return `${showDate(iso, timeZone)}, ${showTime(iso, timeZone)}`;
}

// YYYY-MM-DD of a Date in Asia/Kolkata (the shows' dates are each theatre's local dates).
export function isoDay(date, timeZone = "Asia/Kolkata") {
  return date.toLocaleDateString("en-CA", { timeZone });
}

// Seats in the order a person reads them: by row (A…Z, then AA…), then by number (H8 before H10).
export function bySeat(a, b) {
  const [, rowA = "", numberA = "0"] = /^([A-Z]*)(\d*)$/.exec(a.label || a.seat_label) || [];
  const [, rowB = "", numberB = "0"] = /^([A-Z]*)(\d*)$/.exec(b.label || b.seat_label) || [];
  return rowA.length - rowB.length || rowA.localeCompare(rowB) || Number(numberA) - Number(numberB);
}

// A message as a sentence: ends with a full stop unless it has its own ending.
export function sentence(text) {
  const trimmed = String(text).trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

export function percent(fraction) {
  return `${Math.round(fraction * 1000) / 10}%`;
}

// A booking's status as a customer reads it.
export const BOOKING_STATUS = {
  PENDING: "Held, not paid yet",
  BOOKED: "Confirmed",
  CANCELLED: "Cancelled",
  EXPIRED: "Hold ran out",
};
