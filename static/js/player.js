// The lesson video player's entry point, as the lesson and course pages load it
// (<script type="module">, after hls.js as a classic script). The player itself is the
// modules in player/ (core.js wires them); this file starts it on the page and keeps the
// exports other code has imported from here.

import { initLessonPage, initPreviewDialog } from "./player/pages.js";

export { CoursePlayer } from "./player/core.js";
export { parseTime, startTimeFromLocation } from "./player/start-time.js";
export { parseVtt } from "./player/vtt.js";

initLessonPage();
initPreviewDialog();
