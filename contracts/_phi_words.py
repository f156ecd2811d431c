"""Word lists that keep the PHI scrubber precise: words that end a name or veto an address."""

from __future__ import annotations

# Capitalised words that appear after name cues in IT telemetry ("Display Name: Windows Update",
# "Patient Portal", "DR Site") but are not people. A name candidate stops at the first of these,
# so a listed word never becomes part of a placeholder. Lower case; compared case-insensitively.
IT_WORDS = frozenset(
    """
    windows microsoft office defender update updates updater service services server servers system
    systems network networks security antivirus firewall remote desktop portal teams outlook exchange
    azure active directory domain admins admin administrator administrators users guest guests group
    groups policy policies local global default site test tests run runs backup backups storage disk
    disks drive drives virtual physical printer printers print spooler scanner scanners scan scans
    config configuration settings report reports manager control task tasks scheduler event events log
    logs application applications app apps client clients agent agents host hosts node nodes cluster
    cloud data database databases sql file files folder folders share shares sharepoint onedrive google
    chrome edge firefox mozilla adobe acrobat reader java oracle cisco dell hp lenovo apple vmware citrix
    symantec mcafee sophos crowdstrike sentinel sentinelone epic cerner dentrix athena athenahealth
    allscripts hyperspace eaglesoft meditech nextgen greenway kareo click port redirector usermode
    inspection protection endpoint definitions module modules driver drivers device devices hardware
    software license licenses key keys certificate certificates authority root ca cn dc ou word excel
    powerpoint access visio sharepoint skype zoom webex slack okta duo vpn wifi wi-fi ethernet bluetooth
    usb hdd ssd raid nas san smb ftp http https dns dhcp ldap kerberos ntlm tcp udp ip ipv4 ipv6 api
    sdk cpu gpu ram memory kernel linux ubuntu debian centos redhat macos ios android unix powershell
    cmd bash python dotnet framework runtime visual studio code git github jenkins docker kubernetes
    helpdesk help desk support vendor vendors team staff it hr tech technician engineering operations
    ops noc soc msp rmm psa ticket tickets incident incidents request requests change changes problem
    problems queue queues priority category status state type mode level severity critical high low
    medium normal error errors warning warnings info information debug trace fatal failed failure
    failures success successful succeeded completed complete started starting stopped stopping running
    pending resolved closed open opened new old primary secondary front back upper lower main master
    slave replica replication failover plan plans recovery restore snapshot archive archives export
    exports import imports template templates sample samples draft final copy batch index summary
    monthly weekly daily nightly hourly annual full incremental differential job jobs process processes
    thread threads handle handles instance instances container containers image images volume volumes
    partition partitions sector sectors cache caches temp tmp unknown none null nil undefined anonymous
    everyone authenticated builtin system32 program programs files common shared
    internal external corporate enterprise business professional standard premium basic home pro
    edition version build release patch patches hotfix hotfixes rollup cumulative feature features
    quality monitor monitoring alert alerts alarm alarms sensor sensors watchdog health check checks
    compliance audit auditing policyholder insurance plan medicaid medicare blue cross shield
    read write only allow allowed deny denied enabled disabled enable disable on off yes no true false
    ok okay na n/a tbd general other misc miscellaneous
    digital solutions solution technologies technology tech labs inc llc ltd corp corporation company
    gmbh plugin plugins theme themes widget widgets popup gateway payment payments analytic analytics
    query simple lite suite studio wp wordpress joomla drupal magento woocommerce form forms builder
    editor viewer player media gallery slider post posts blog shop store cart online web site sites
    reception kiosk lobby workstation laptop pc tablet router switch camera badge door waiting exam
    nurses station conference breakroom nt accounts payable receivable department dept automation script
    scripts bot valued customer customers same as above below all everybody undisclosed recipients
    inbox outbox sent drafts junk spam trash deleted items tier never intel amd arm core
    """.split()
)

# Words that follow a name cue on forms but are labels, roles or relationships, not names
# ("RELATIONSHIP TO PATIENT: MOTHER", "PATIENT NAME: ... DOB:").
FORM_WORDS = frozenset(
    """
    patient patients pt name names first last middle given family full legal preferred mother father
    self spouse husband wife child son daughter brother sister sibling parent parents guardian
    grandmother grandfather relative friend relationship contact emergency kin nok sex gender male
    female age dob mrn ssn id ids number no num date time room bed unit floor suite apt ward dept
    department clinic hospital practice office pharmacy lab labs radiology imaging billing account
    acct phone tel fax cell mobile email e-mail address city zip county country page signature signed
    dr mr mrs ms miss mx prof doctor nurse physician provider attending referring ordering the a an of
    for and to in on at by with from via per or not see re fw fwd attn subject dear hi hello thanks
    regards
    """.split()
)

NAME_STOP = IT_WORDS | FORM_WORDS
"""A name candidate ends at the first token in this set (compared lower case)."""

# Street names are mostly ordinary words (Main, Lake, Park), so only IT vocabulary vetoes an address;
# this keeps "3 files to Backup Drive" and "Disk 1 Storage Drive" out while "123 Main St" stays in.
ADDRESS_STOP = IT_WORDS - frozenset(
    """main front back upper lower home general high state enterprise business corporate professional
    public common standard commerce park""".split()
)
