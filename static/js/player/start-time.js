// Where a link asks the player to start: ?t= / #t= values such as "90", "1m30s" or "2:30".

/** "90", "90.5", "1m30s", "1h2m3s", "2:30" → seconds, or null. */
export function parseTime(value) {
  if (value == null) return null;
  const text = String(value).trim().toLowerCase();
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return parseFloat(text);
  const units = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (units && (units[1] || units[2] || units[3])) {
    return (+units[1] || 0) * 3600 + (+units[2] || 0) * 60 + (+units[3] || 0);
  }
  const clock = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(text);
  if (clock) return (+clock[1] || 0) * 3600 + +clock[2] * 60 + +clock[3];
  return null;
}

/** The start position a link asked for: #t= wins over ?t= (hash links are client-side). */
export function startTimeFromLocation(location = window.location) {
  const fromHash = parseTime(new URLSearchParams(location.hash.replace(/^#/, "")).get("t"));
  if (fromHash != null) return fromHash;
  return parseTime(new URLSearchParams(location.search).get("t"));
}
