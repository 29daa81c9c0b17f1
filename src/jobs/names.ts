// Queue names others send to, apart from the registry (which loads every job's code), so a sender
// such as the composition root names a job without loading its handler.

/** Queue name of the job that sends due notification deliveries. */
export const notificationDeliveryJob = 'notification-delivery';

/** Queue name of the job that scrapes the targets of prometheus-scrape sources. */
export const sourceScraperJob = 'source-scraper';

/** Queue name of the job that runs one detection schedule (sent by its tick and by "run now"). */
export const detectionRunJob = 'detection-run';
