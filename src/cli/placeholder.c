/* Keeps the service library non-empty while its layers are written. */
int noc_service_placeholder(void);
int noc_service_placeholder(void) { return 0; }
