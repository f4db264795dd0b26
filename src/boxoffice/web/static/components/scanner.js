// Reads QR codes from the camera: the browser's own BarcodeDetector where it reads QR codes
// (Chromium on Android, macOS, ChromeOS), else the vendored jsQR on video frames. Calls
// onCode(text) once per code as it comes into view (the same code again only after another).
// Rejects when no camera can be opened; resolves to a function that stops it.
const EVERY_MS = 200;

export async function startScanner(video, onCode) {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error("no camera API");
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  const read = await reader();
  let last = null;
  let stopped = false;
  async function look() {
    if (stopped) return;
    if (video.readyState >= 2) {
      const code = await read(video).catch(() => null);
      if (code && code !== last) await onCode(code);
      if (code) last = code;
    }
    setTimeout(look, EVERY_MS);
  }
  look();
  return () => {
    stopped = true;
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
    video.hidden = true;
  };
}

async function reader() {
  if ("BarcodeDetector" in window && (await window.BarcodeDetector.getSupportedFormats()).includes("qr_code")) {
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return async (video) => (await detector.detect(video))[0]?.rawValue || null;
  }
  await import("../vendor/jsQR.js"); // sets self.jsQR
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    const frame = context.getImageData(0, 0, canvas.width, canvas.height);
    return self.jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" })?.data || null;
  };
}
