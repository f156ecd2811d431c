-- Every catalog control id with its title (titles the crosswalk; checks ids against the catalog).
SELECT control_id, title FROM feeds.oscal_controls
