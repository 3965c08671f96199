package demo

import (
	"context"
	"fmt"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Riverside's ePHI inventory: two clinics with their rooms, the hosted
// systems, the devices staff carry, and the ways ePHI moves between them
// and outside parties. The 2016 backup drive is the one device holding ePHI
// that cannot be encrypted, and the referring practices' faxes the one flow
// not encrypted all the way: the map marks both.

type demoAsset struct {
	risk.Asset
	place string // the name of the site or room it is in
	owner string // a member's email
}

var riversideAssets = []demoAsset{
	{Asset: risk.Asset{Name: "Main Street clinic", Kind: "site", Location: "120 Main Street", Criticality: risk.CriticalityHigh}, owner: "maria.alvarez@riverside.example"},
	{Asset: risk.Asset{Name: "Oak Avenue clinic", Kind: "site", Location: "45 Oak Avenue", Criticality: risk.CriticalityHigh}, owner: "maria.alvarez@riverside.example"},
	{Asset: risk.Asset{Name: "Server closet", Kind: "room", Criticality: risk.CriticalityHigh}, place: "Main Street clinic", owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Manager's office", Kind: "room"}, place: "Main Street clinic", owner: "maria.alvarez@riverside.example"},
	{Asset: risk.Asset{Name: "Cloud EHR (ClearChart)", Kind: "ehr", Hosting: risk.HostingCloud, Vendor: "ClearChart", AtRest: risk.EncryptionYes,
		Records: 6000, EPHI: []string{"clinical notes", "medications", "lab results", "demographics"}, Use: risk.Use{Creates: true, Receives: true, Maintains: true, Transmits: true},
		Criticality: risk.CriticalityHigh}, owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Practice management and billing (Harbor)", Kind: "practice_management", Hosting: risk.HostingBusinessAssociate, Vendor: "Harbor Medical Billing",
		AtRest: risk.EncryptionYes, Records: 6000, EPHI: []string{"demographics", "insurance", "claims"}, Use: risk.Use{Receives: true, Maintains: true, Transmits: true},
		Criticality: risk.CriticalityHigh}, owner: "maria.alvarez@riverside.example"},
	{Asset: risk.Asset{Name: "Patient portal", Kind: "portal", Hosting: risk.HostingCloud, Vendor: "ClearChart", AtRest: risk.EncryptionYes, Records: 2400,
		EPHI: []string{"visit summaries", "messages"}, Use: risk.Use{Receives: true, Transmits: true}, Criticality: risk.CriticalityMedium}, owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Lab interface (HL7 to Valley Labs)", Kind: "interface", Hosting: risk.HostingCloud, Vendor: "ClearChart", AtRest: risk.EncryptionYes,
		EPHI: []string{"lab orders", "lab results"}, Use: risk.Use{Receives: true, Transmits: true}, Criticality: risk.CriticalityMedium}, owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Fax-to-email service", Kind: "fax", Hosting: risk.HostingBusinessAssociate, Vendor: "eFaxDirect", AtRest: risk.EncryptionYes,
		EPHI: []string{"referrals", "records requests"}, Use: risk.Use{Receives: true, Transmits: true}, Criticality: risk.CriticalityMedium}, owner: "priya.shah@riverside.example"},
	{Asset: risk.Asset{Name: "Email (Microsoft 365)", Kind: "email", Hosting: risk.HostingCloud, Vendor: "Microsoft", AtRest: risk.EncryptionYes,
		EPHI: []string{"referrals", "scheduling"}, Use: risk.Use{Receives: true, Maintains: true, Transmits: true}, Criticality: risk.CriticalityMedium}, owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Shared drive (file server)", Kind: "file_share", AtRest: risk.EncryptionYes, Records: 800, EPHI: []string{"scanned forms", "letters"},
		Use: risk.Use{Maintains: true}, Criticality: risk.CriticalityMedium}, place: "Server closet", owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "External backup drive (2016)", Kind: "removable_media", AtRest: risk.EncryptionNo, Records: 800, EPHI: []string{"copy of the shared drive"},
		Use: risk.Use{Maintains: true}, Criticality: risk.CriticalityMedium, Notes: "Cannot be encrypted with the backup software in use; kept in a locked drawer with a sign-out log until it is replaced."},
		place: "Manager's office", owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Firewall and Wi-Fi (Main Street)", Kind: "network_device", Criticality: risk.CriticalityHigh, AtRest: risk.EncryptionYes}, place: "Server closet", owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Firewall and Wi-Fi (Oak Avenue)", Kind: "network_device", Criticality: risk.CriticalityHigh, AtRest: risk.EncryptionYes}, place: "Oak Avenue clinic", owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Front desk PC (Main Street)", Kind: "workstation", AtRest: risk.EncryptionYes, Use: risk.Use{Creates: true, Transmits: true}}, place: "Main Street clinic", owner: "priya.shah@riverside.example"},
	{Asset: risk.Asset{Name: "Front desk PC (Oak Avenue)", Kind: "workstation", AtRest: risk.EncryptionYes, Use: risk.Use{Creates: true, Transmits: true}}, place: "Oak Avenue clinic", owner: "priya.shah@riverside.example"},
	{Asset: risk.Asset{Name: "Exam room PCs (Main Street, 4)", Kind: "workstation", AtRest: risk.EncryptionYes, Use: risk.Use{Creates: true}}, place: "Main Street clinic", owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Exam room PCs (Oak Avenue, 3)", Kind: "workstation", AtRest: risk.EncryptionYes, Use: risk.Use{Creates: true}}, place: "Oak Avenue clinic", owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Dr Alvarez's laptop", Kind: "laptop", AtRest: risk.EncryptionYes, Use: risk.Use{Creates: true, Maintains: true}, Records: 50}, place: "Main Street clinic", owner: "maria.alvarez@riverside.example"},
	{Asset: risk.Asset{Name: "Nurse practitioner's laptop", Kind: "laptop", AtRest: risk.EncryptionYes, Use: risk.Use{Creates: true}}, place: "Oak Avenue clinic", owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Billing laptop", Kind: "laptop", AtRest: risk.EncryptionYes, Use: risk.Use{Transmits: true}}, place: "Main Street clinic", owner: "priya.shah@riverside.example"},
	{Asset: risk.Asset{Name: "Practice phones (6)", Kind: "phone", AtRest: risk.EncryptionYes, Use: risk.Use{Receives: true}, EPHI: []string{"portal messages", "EHR app"}}, owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Tablet for patient check-in", Kind: "tablet", AtRest: risk.EncryptionYes, Use: risk.Use{Creates: true}}, place: "Oak Avenue clinic", owner: "priya.shah@riverside.example"},
	{Asset: risk.Asset{Name: "Multifunction printer (Main Street)", Kind: "printer", AtRest: risk.EncryptionUnknown, Use: risk.Use{Receives: true}, Records: 0}, place: "Main Street clinic", owner: "priya.shah@riverside.example"},
	{Asset: risk.Asset{Name: "Multifunction printer (Oak Avenue)", Kind: "printer", AtRest: risk.EncryptionUnknown, Use: risk.Use{Receives: true}}, place: "Oak Avenue clinic", owner: "priya.shah@riverside.example"},
	{Asset: risk.Asset{Name: "ECG machine", Kind: "medical_device", AtRest: risk.EncryptionUnknown, Use: risk.Use{Creates: true, Transmits: true}, Records: 300,
		EPHI: []string{"ECG tracings"}, Notes: "The vendor has not said whether stored tracings are encrypted; asked in March."}, place: "Main Street clinic", owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Records room (paper, scanned since 2019)", Kind: "room"}, place: "Oak Avenue clinic", owner: "maria.alvarez@riverside.example"},
	{Asset: risk.Asset{Name: "Old laptop (retired 2025)", Kind: "laptop", Lifecycle: risk.LifecycleRetired, AtRest: risk.EncryptionYes,
		Notes: "Wiped by BrightPath IT; certificate of destruction on file."}, owner: "sam.okafor@riverside.example"},
	{Asset: risk.Asset{Name: "Telehealth video service", Kind: "cloud_service", Hosting: risk.HostingCloud, Vendor: "ClearChart", AtRest: risk.EncryptionYes,
		Use: risk.Use{Transmits: true}, Criticality: risk.CriticalityLow, Lifecycle: risk.LifecyclePlanned}, owner: "sam.okafor@riverside.example"},
}

// riversideFlows are the ways ePHI moves, by asset name or outside party.
var riversideFlows = []struct {
	from, to, fromParty, toParty string
	risk.Flow
}{
	{from: "Cloud EHR (ClearChart)", toParty: "Valley Labs", Flow: risk.Flow{Channel: "hl7", InTransit: risk.EncryptionYes, Frequency: "continuous", Volume: "about 40 orders a day"}},
	{fromParty: "Valley Labs", to: "Lab interface (HL7 to Valley Labs)", Flow: risk.Flow{Channel: "hl7", InTransit: risk.EncryptionYes, Frequency: "continuous"}},
	{from: "Lab interface (HL7 to Valley Labs)", to: "Cloud EHR (ClearChart)", Flow: risk.Flow{Channel: "api", InTransit: risk.EncryptionYes, Frequency: "continuous"}},
	{from: "Cloud EHR (ClearChart)", to: "Practice management and billing (Harbor)", Flow: risk.Flow{Channel: "sftp", InTransit: risk.EncryptionYes, Frequency: "nightly", Volume: "the day's visits"}},
	{from: "Practice management and billing (Harbor)", toParty: "Insurers and clearinghouse", Flow: risk.Flow{Channel: "api", InTransit: risk.EncryptionYes, Frequency: "daily", Volume: "about 120 claims a day"}},
	{from: "Cloud EHR (ClearChart)", to: "Patient portal", Flow: risk.Flow{Channel: "api", InTransit: risk.EncryptionYes, Frequency: "continuous"}},
	{from: "Patient portal", toParty: "Patients", Flow: risk.Flow{Channel: "portal", InTransit: risk.EncryptionYes, Frequency: "continuous", Volume: "2,400 patients enrolled"}},
	{fromParty: "Referring practices", to: "Fax-to-email service", Flow: risk.Flow{Channel: "fax", InTransit: risk.EncryptionPartial, Frequency: "daily", Volume: "30-40 faxes a day",
		Description: "Faxes travel over the telephone network unencrypted to the service, which delivers them by TLS email."}},
	{from: "Fax-to-email service", to: "Email (Microsoft 365)", Flow: risk.Flow{Channel: "email", InTransit: risk.EncryptionYes, Frequency: "daily"}},
	{from: "Shared drive (file server)", to: "External backup drive (2016)", Flow: risk.Flow{Channel: "sync", InTransit: risk.EncryptionYes, Frequency: "nightly",
		Description: "USB copy inside the Main Street clinic."}},
	{from: "ECG machine", to: "Cloud EHR (ClearChart)", Flow: risk.Flow{Channel: "lan", InTransit: risk.EncryptionUnknown, Frequency: "after each test"}},
}

// loadInventory records Riverside's inventory and data flows.
func loadInventory(ctx context.Context, db *store.DB, orgID int64) error {
	ids := map[string]int64{}
	for _, d := range riversideAssets {
		a := d.Asset
		if d.owner != "" {
			u, err := db.UserByEmail(ctx, d.owner)
			if err != nil {
				return fmt.Errorf("demo inventory: %w", err)
			}
			a.OwnerID = u.ID
		}
		if d.place != "" {
			id, ok := ids[d.place]
			if !ok {
				return fmt.Errorf("demo inventory: %s is in %q, which is not recorded before it", a.Name, d.place)
			}
			a.PlaceID = id
		}
		a.Reviewed = db.Now().AddDate(0, -2, 0)
		saved, err := db.CreateAsset(ctx, Actor, orgID, a)
		if err != nil {
			return fmt.Errorf("demo asset %s: %w", a.Name, err)
		}
		ids[a.Name] = saved.ID
	}
	for _, d := range riversideFlows {
		f := d.Flow
		f.From, f.To = risk.Endpoint{AssetID: ids[d.from], Party: d.fromParty}, risk.Endpoint{AssetID: ids[d.to], Party: d.toParty}
		if _, err := db.CreateFlow(ctx, Actor, orgID, f); err != nil {
			return fmt.Errorf("demo flow %s → %s: %w", d.from+d.fromParty, d.to+d.toParty, err)
		}
	}
	return nil
}
