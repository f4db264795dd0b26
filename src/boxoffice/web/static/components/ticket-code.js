// What a signed ticket code says about itself: `BX1.<kid>.<payload>.<signature>`, the payload
// base64url JSON {t: ticket id, s: show id, seat, nb, na}. Read for display only; only the
// server's check-in verifies the signature.
export function ticketClaims(code) {
  const parts = String(code || "").trim().split(".");
  if (parts.length !== 4 || parts[0] !== "BX1") return null;
  try {
    const json = atob(parts[2].replace(/-/g, "+").replace(/_/g, "/"));
    const claims = JSON.parse(json);
    return typeof claims.s === "string" && typeof claims.seat === "string" ? claims : null;
  } catch {
    return null;
  }
}
