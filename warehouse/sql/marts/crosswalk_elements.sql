-- The HIPAA Security Rule elements NIST's crosswalk names.
SELECT DISTINCT hipaa_element FROM feeds.hipaa_crosswalk
