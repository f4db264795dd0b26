// The admission an on-sale's queue gave this tab (sessionStorage), kept by show: the queue's
// waiting page keeps it for every show of the on-sale, the seat picker sends it with each hold
// (X-Admission-Token) until it runs out.
const key = (showId) => `boxoffice.admission.${showId}`;

export function admission(showId) {
  try {
    const kept = JSON.parse(sessionStorage.getItem(key(showId)) || "null");
    if (kept && new Date(kept.expires_at).getTime() > Date.now()) return kept.token;
  } catch { /* nothing usable kept */ }
  return null;
}

export function keepAdmission(showId, token, expiresAt) {
  sessionStorage.setItem(key(showId), JSON.stringify({ token, expires_at: expiresAt }));
}

export function admissionHeaders(showId) {
  const token = admission(showId);
  return token ? { "X-Admission-Token": token } : {};
}
