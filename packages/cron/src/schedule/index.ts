export { parseCron, ScheduleError, type CronExpression, type CronFields } from './parse.js';
export { TimeZone, checkTimeZone } from './timezone.js';
export { createSchedule, nextSlot, nextSlots, slotsBetween, nextWall, type Schedule } from './slots.js';
export { planDue, DEFAULT_GRACE_MS, type DuePlan, type DueOptions } from './due.js';
