package tls

import (
	"math/big"
	"strconv"
	"strings"
)

// oidInfo is what OpenSSL's object table holds for an OID: its short and
// long names.
type oidInfo struct {
	sn, ln string
}

// oidNames lists the objects of OpenSSL's table (3.0 generation) that can
// appear in certificates: attribute types, signature and key algorithms,
// certificate extensions, key purposes, access methods and policy
// qualifiers. Objects not listed print as dotted OIDs, as OpenSSL prints
// objects it does not know.
var oidNames = map[string]oidInfo{
	// Attribute types.
	"2.5.4.0":                    {"objectClass", "objectClass"},
	"2.5.4.1":                    {"aliasedEntryName", "aliasedEntryName"},
	"2.5.4.2":                    {"knowledgeInformation", "knowledgeInformation"},
	"2.5.4.3":                    {"CN", "commonName"},
	"2.5.4.4":                    {"SN", "surname"},
	"2.5.4.5":                    {"serialNumber", "serialNumber"},
	"2.5.4.6":                    {"C", "countryName"},
	"2.5.4.7":                    {"L", "localityName"},
	"2.5.4.8":                    {"ST", "stateOrProvinceName"},
	"2.5.4.9":                    {"street", "streetAddress"},
	"2.5.4.10":                   {"O", "organizationName"},
	"2.5.4.11":                   {"OU", "organizationalUnitName"},
	"2.5.4.12":                   {"title", "title"},
	"2.5.4.13":                   {"description", "description"},
	"2.5.4.14":                   {"searchGuide", "searchGuide"},
	"2.5.4.15":                   {"businessCategory", "businessCategory"},
	"2.5.4.16":                   {"postalAddress", "postalAddress"},
	"2.5.4.17":                   {"postalCode", "postalCode"},
	"2.5.4.18":                   {"postOfficeBox", "postOfficeBox"},
	"2.5.4.19":                   {"physicalDeliveryOfficeName", "physicalDeliveryOfficeName"},
	"2.5.4.20":                   {"telephoneNumber", "telephoneNumber"},
	"2.5.4.21":                   {"telexNumber", "telexNumber"},
	"2.5.4.22":                   {"teletexTerminalIdentifier", "teletexTerminalIdentifier"},
	"2.5.4.23":                   {"facsimileTelephoneNumber", "facsimileTelephoneNumber"},
	"2.5.4.24":                   {"x121Address", "x121Address"},
	"2.5.4.25":                   {"internationaliSDNNumber", "internationaliSDNNumber"},
	"2.5.4.26":                   {"registeredAddress", "registeredAddress"},
	"2.5.4.27":                   {"destinationIndicator", "destinationIndicator"},
	"2.5.4.28":                   {"preferredDeliveryMethod", "preferredDeliveryMethod"},
	"2.5.4.29":                   {"presentationAddress", "presentationAddress"},
	"2.5.4.30":                   {"supportedApplicationContext", "supportedApplicationContext"},
	"2.5.4.31":                   {"member", "member"},
	"2.5.4.32":                   {"owner", "owner"},
	"2.5.4.33":                   {"roleOccupant", "roleOccupant"},
	"2.5.4.34":                   {"seeAlso", "seeAlso"},
	"2.5.4.35":                   {"userPassword", "userPassword"},
	"2.5.4.36":                   {"userCertificate", "userCertificate"},
	"2.5.4.37":                   {"cACertificate", "cACertificate"},
	"2.5.4.38":                   {"authorityRevocationList", "authorityRevocationList"},
	"2.5.4.39":                   {"certificateRevocationList", "certificateRevocationList"},
	"2.5.4.40":                   {"crossCertificatePair", "crossCertificatePair"},
	"2.5.4.41":                   {"name", "name"},
	"2.5.4.42":                   {"GN", "givenName"},
	"2.5.4.43":                   {"initials", "initials"},
	"2.5.4.44":                   {"generationQualifier", "generationQualifier"},
	"2.5.4.45":                   {"x500UniqueIdentifier", "x500UniqueIdentifier"},
	"2.5.4.46":                   {"dnQualifier", "dnQualifier"},
	"2.5.4.47":                   {"enhancedSearchGuide", "enhancedSearchGuide"},
	"2.5.4.48":                   {"protocolInformation", "protocolInformation"},
	"2.5.4.49":                   {"distinguishedName", "distinguishedName"},
	"2.5.4.50":                   {"uniqueMember", "uniqueMember"},
	"2.5.4.51":                   {"houseIdentifier", "houseIdentifier"},
	"2.5.4.52":                   {"supportedAlgorithms", "supportedAlgorithms"},
	"2.5.4.53":                   {"deltaRevocationList", "deltaRevocationList"},
	"2.5.4.54":                   {"dmdName", "dmdName"},
	"2.5.4.65":                   {"pseudonym", "pseudonym"},
	"2.5.4.72":                   {"role", "role"},
	"2.5.4.97":                   {"organizationIdentifier", "organizationIdentifier"},
	"2.5.4.98":                   {"c3", "countryCode3c"},
	"2.5.4.99":                   {"n3", "countryCode3n"},
	"2.5.4.100":                  {"dnsName", "dnsName"},
	"1.2.840.113549.1.9.1":       {"emailAddress", "emailAddress"},
	"1.2.840.113549.1.9.2":       {"unstructuredName", "unstructuredName"},
	"1.2.840.113549.1.9.3":       {"contentType", "contentType"},
	"1.2.840.113549.1.9.7":       {"challengePassword", "challengePassword"},
	"1.2.840.113549.1.9.8":       {"unstructuredAddress", "unstructuredAddress"},
	"0.9.2342.19200300.100.1.1":  {"UID", "userId"},
	"0.9.2342.19200300.100.1.3":  {"mail", "rfc822Mailbox"},
	"0.9.2342.19200300.100.1.25": {"DC", "domainComponent"},
	"1.3.6.1.4.1.311.60.2.1.1":   {"jurisdictionL", "jurisdictionLocalityName"},
	"1.3.6.1.4.1.311.60.2.1.2":   {"jurisdictionST", "jurisdictionStateOrProvinceName"},
	"1.3.6.1.4.1.311.60.2.1.3":   {"jurisdictionC", "jurisdictionCountryName"},

	// Signature algorithms.
	"1.2.840.113549.1.1.2":    {"RSA-MD2", "md2WithRSAEncryption"},
	"1.2.840.113549.1.1.3":    {"RSA-MD4", "md4WithRSAEncryption"},
	"1.2.840.113549.1.1.4":    {"RSA-MD5", "md5WithRSAEncryption"},
	"1.2.840.113549.1.1.5":    {"RSA-SHA1", "sha1WithRSAEncryption"},
	"1.2.840.113549.1.1.11":   {"RSA-SHA256", "sha256WithRSAEncryption"},
	"1.2.840.113549.1.1.12":   {"RSA-SHA384", "sha384WithRSAEncryption"},
	"1.2.840.113549.1.1.13":   {"RSA-SHA512", "sha512WithRSAEncryption"},
	"1.2.840.113549.1.1.14":   {"RSA-SHA224", "sha224WithRSAEncryption"},
	"1.2.840.113549.1.1.15":   {"RSA-SHA512/224", "sha512-224WithRSAEncryption"},
	"1.2.840.113549.1.1.16":   {"RSA-SHA512/256", "sha512-256WithRSAEncryption"},
	"1.3.14.3.2.3":            {"RSA-NP-MD5", "md5WithRSA"},
	"1.3.14.3.2.13":           {"DSA-SHA", "dsaWithSHA"},
	"1.3.14.3.2.15":           {"RSA-SHA", "shaWithRSAEncryption"},
	"1.3.14.3.2.27":           {"DSA-SHA1-old", "dsaWithSHA1-old"},
	"1.3.14.3.2.29":           {"RSA-SHA1-2", "sha1WithRSA"},
	"1.2.840.10040.4.3":       {"DSA-SHA1", "dsaWithSHA1"},
	"2.16.840.1.101.3.4.3.1":  {"dsa_with_SHA224", "dsa_with_SHA224"},
	"2.16.840.1.101.3.4.3.2":  {"dsa_with_SHA256", "dsa_with_SHA256"},
	"2.16.840.1.101.3.4.3.3":  {"id-dsa-with-sha384", "dsa_with_SHA384"},
	"2.16.840.1.101.3.4.3.4":  {"id-dsa-with-sha512", "dsa_with_SHA512"},
	"2.16.840.1.101.3.4.3.5":  {"id-dsa-with-sha3-224", "dsa_with_SHA3-224"},
	"2.16.840.1.101.3.4.3.6":  {"id-dsa-with-sha3-256", "dsa_with_SHA3-256"},
	"2.16.840.1.101.3.4.3.7":  {"id-dsa-with-sha3-384", "dsa_with_SHA3-384"},
	"2.16.840.1.101.3.4.3.8":  {"id-dsa-with-sha3-512", "dsa_with_SHA3-512"},
	"2.16.840.1.101.3.4.3.9":  {"id-ecdsa-with-sha3-224", "ecdsa_with_SHA3-224"},
	"2.16.840.1.101.3.4.3.10": {"id-ecdsa-with-sha3-256", "ecdsa_with_SHA3-256"},
	"2.16.840.1.101.3.4.3.11": {"id-ecdsa-with-sha3-384", "ecdsa_with_SHA3-384"},
	"2.16.840.1.101.3.4.3.12": {"id-ecdsa-with-sha3-512", "ecdsa_with_SHA3-512"},
	"2.16.840.1.101.3.4.3.13": {"id-rsassa-pkcs1-v1_5-with-sha3-224", "RSA-SHA3-224"},
	"2.16.840.1.101.3.4.3.14": {"id-rsassa-pkcs1-v1_5-with-sha3-256", "RSA-SHA3-256"},
	"2.16.840.1.101.3.4.3.15": {"id-rsassa-pkcs1-v1_5-with-sha3-384", "RSA-SHA3-384"},
	"2.16.840.1.101.3.4.3.16": {"id-rsassa-pkcs1-v1_5-with-sha3-512", "RSA-SHA3-512"},
	"1.2.840.10045.4.1":       {"ecdsa-with-SHA1", "ecdsa-with-SHA1"},
	"1.2.840.10045.4.2":       {"ecdsa-with-Recommended", "ecdsa-with-Recommended"},
	"1.2.840.10045.4.3":       {"ecdsa-with-Specified", "ecdsa-with-Specified"},
	"1.2.840.10045.4.3.1":     {"ecdsa-with-SHA224", "ecdsa-with-SHA224"},
	"1.2.840.10045.4.3.2":     {"ecdsa-with-SHA256", "ecdsa-with-SHA256"},
	"1.2.840.10045.4.3.3":     {"ecdsa-with-SHA384", "ecdsa-with-SHA384"},
	"1.2.840.10045.4.3.4":     {"ecdsa-with-SHA512", "ecdsa-with-SHA512"},
	"1.2.156.10197.1.501":     {"SM2-SM3", "SM2-with-SM3"},

	// Key algorithms.
	"1.2.840.113549.1.1.1":  {"rsaEncryption", "rsaEncryption"},
	"1.2.840.113549.1.1.10": {"RSASSA-PSS", "rsassaPss"},
	"2.5.8.1.1":             {"RSA", "rsa"},
	"1.2.840.10040.4.1":     {"DSA", "dsaEncryption"},
	"1.2.840.10045.2.1":     {"id-ecPublicKey", "id-ecPublicKey"},
	"1.2.840.113549.1.3.1":  {"dhKeyAgreement", "dhKeyAgreement"},
	"1.2.840.10046.2.1":     {"dhpublicnumber", "X9.42 DH"},
	"1.3.101.110":           {"X25519", "X25519"},
	"1.3.101.111":           {"X448", "X448"},
	"1.3.101.112":           {"ED25519", "ED25519"},
	"1.3.101.113":           {"ED448", "ED448"},

	// Certificate extensions.
	"2.5.29.9":                {"subjectDirectoryAttributes", "X509v3 Subject Directory Attributes"},
	"2.5.29.14":               {"subjectKeyIdentifier", "X509v3 Subject Key Identifier"},
	"2.5.29.15":               {"keyUsage", "X509v3 Key Usage"},
	"2.5.29.16":               {"privateKeyUsagePeriod", "X509v3 Private Key Usage Period"},
	"2.5.29.17":               {"subjectAltName", "X509v3 Subject Alternative Name"},
	"2.5.29.18":               {"issuerAltName", "X509v3 Issuer Alternative Name"},
	"2.5.29.19":               {"basicConstraints", "X509v3 Basic Constraints"},
	"2.5.29.20":               {"crlNumber", "X509v3 CRL Number"},
	"2.5.29.21":               {"CRLReason", "X509v3 CRL Reason Code"},
	"2.5.29.23":               {"holdInstructionCode", "Hold Instruction Code"},
	"2.5.29.24":               {"invalidityDate", "Invalidity Date"},
	"2.5.29.27":               {"deltaCRL", "X509v3 Delta CRL Indicator"},
	"2.5.29.28":               {"issuingDistributionPoint", "X509v3 Issuing Distribution Point"},
	"2.5.29.29":               {"certificateIssuer", "X509v3 Certificate Issuer"},
	"2.5.29.30":               {"nameConstraints", "X509v3 Name Constraints"},
	"2.5.29.31":               {"crlDistributionPoints", "X509v3 CRL Distribution Points"},
	"2.5.29.32":               {"certificatePolicies", "X509v3 Certificate Policies"},
	"2.5.29.32.0":             {"anyPolicy", "X509v3 Any Policy"},
	"2.5.29.33":               {"policyMappings", "X509v3 Policy Mappings"},
	"2.5.29.35":               {"authorityKeyIdentifier", "X509v3 Authority Key Identifier"},
	"2.5.29.36":               {"policyConstraints", "X509v3 Policy Constraints"},
	"2.5.29.37":               {"extendedKeyUsage", "X509v3 Extended Key Usage"},
	"2.5.29.46":               {"freshestCRL", "X509v3 Freshest CRL"},
	"2.5.29.54":               {"inhibitAnyPolicy", "X509v3 Inhibit Any Policy"},
	"2.5.29.55":               {"targetInformation", "X509v3 AC Targeting"},
	"2.5.29.56":               {"noRevAvail", "X509v3 No Revocation Available"},
	"1.3.6.1.5.5.7.1.1":       {"authorityInfoAccess", "Authority Information Access"},
	"1.3.6.1.5.5.7.1.2":       {"biometricInfo", "Biometric Info"},
	"1.3.6.1.5.5.7.1.3":       {"qcStatements", "qcStatements"},
	"1.3.6.1.5.5.7.1.4":       {"ac-auditEntity", "ac-auditEntity"},
	"1.3.6.1.5.5.7.1.5":       {"ac-targeting", "ac-targeting"},
	"1.3.6.1.5.5.7.1.6":       {"aaControls", "aaControls"},
	"1.3.6.1.5.5.7.1.7":       {"sbgp-ipAddrBlock", "sbgp-ipAddrBlock"},
	"1.3.6.1.5.5.7.1.8":       {"sbgp-autonomousSysNum", "sbgp-autonomousSysNum"},
	"1.3.6.1.5.5.7.1.9":       {"sbgp-routerIdentifier", "sbgp-routerIdentifier"},
	"1.3.6.1.5.5.7.1.10":      {"ac-proxying", "ac-proxying"},
	"1.3.6.1.5.5.7.1.11":      {"subjectInfoAccess", "Subject Information Access"},
	"1.3.6.1.5.5.7.1.14":      {"proxyCertInfo", "Proxy Certificate Information"},
	"1.3.6.1.5.5.7.1.24":      {"tlsfeature", "TLS Feature"},
	"1.3.6.1.5.5.7.48.1.5":    {"noCheck", "OCSP No Check"},
	"1.3.6.1.4.1.11129.2.4.2": {"ct_precert_scts", "CT Precertificate SCTs"},
	"1.3.6.1.4.1.11129.2.4.3": {"ct_precert_poison", "CT Precertificate Poison"},
	"1.3.6.1.4.1.11129.2.4.4": {"ct_precert_signer", "CT Precertificate Signer"},
	"1.3.6.1.4.1.11129.2.4.5": {"ct_cert_scts", "CT Certificate SCTs"},
	"2.16.840.1.113730.1.1":   {"nsCertType", "Netscape Cert Type"},
	"2.16.840.1.113730.1.2":   {"nsBaseUrl", "Netscape Base Url"},
	"2.16.840.1.113730.1.3":   {"nsRevocationUrl", "Netscape Revocation Url"},
	"2.16.840.1.113730.1.4":   {"nsCaRevocationUrl", "Netscape CA Revocation Url"},
	"2.16.840.1.113730.1.7":   {"nsRenewalUrl", "Netscape Renewal Url"},
	"2.16.840.1.113730.1.8":   {"nsCaPolicyUrl", "Netscape CA Policy Url"},
	"2.16.840.1.113730.1.12":  {"nsSslServerName", "Netscape SSL Server Name"},
	"2.16.840.1.113730.1.13":  {"nsComment", "Netscape Comment"},
	"2.16.840.1.113730.2.5":   {"nsCertSequence", "Netscape Certificate Sequence"},

	// Key purposes.
	"2.5.29.37.0":            {"anyExtendedKeyUsage", "Any Extended Key Usage"},
	"1.3.6.1.5.5.7.3.1":      {"serverAuth", "TLS Web Server Authentication"},
	"1.3.6.1.5.5.7.3.2":      {"clientAuth", "TLS Web Client Authentication"},
	"1.3.6.1.5.5.7.3.3":      {"codeSigning", "Code Signing"},
	"1.3.6.1.5.5.7.3.4":      {"emailProtection", "E-mail Protection"},
	"1.3.6.1.5.5.7.3.5":      {"ipsecEndSystem", "IPSec End System"},
	"1.3.6.1.5.5.7.3.6":      {"ipsecTunnel", "IPSec Tunnel"},
	"1.3.6.1.5.5.7.3.7":      {"ipsecUser", "IPSec User"},
	"1.3.6.1.5.5.7.3.8":      {"timeStamping", "Time Stamping"},
	"1.3.6.1.5.5.7.3.9":      {"OCSPSigning", "OCSP Signing"},
	"1.3.6.1.5.5.7.3.10":     {"DVCS", "dvcs"},
	"1.3.6.1.5.5.7.3.17":     {"ipsecIKE", "ipsec Internet Key Exchange"},
	"2.16.840.1.113730.4.1":  {"nsSGC", "Netscape Server Gated Crypto"},
	"1.3.6.1.4.1.311.2.1.21": {"msCodeInd", "Microsoft Individual Code Signing"},
	"1.3.6.1.4.1.311.2.1.22": {"msCodeCom", "Microsoft Commercial Code Signing"},
	"1.3.6.1.4.1.311.10.3.1": {"msCTLSign", "Microsoft Trust List Signing"},
	"1.3.6.1.4.1.311.10.3.3": {"msSGC", "Microsoft Server Gated Crypto"},
	"1.3.6.1.4.1.311.10.3.4": {"msEFS", "Microsoft Encrypted File System"},
	"1.3.6.1.4.1.311.20.2.2": {"msSmartcardLogin", "Microsoft Smartcard Login"},
	"1.3.6.1.4.1.311.20.2.3": {"msUPN", "Microsoft User Principal Name"},
	"1.3.6.1.5.5.7.3.27":     {"cmcCA", "CMC Certificate Authority"},
	"1.3.6.1.5.5.7.3.28":     {"cmcRA", "CMC Registration Authority"},

	// Access methods, policy qualifiers, other names.
	"1.3.6.1.5.5.7.48.1": {"OCSP", "OCSP"},
	"1.3.6.1.5.5.7.48.2": {"caIssuers", "CA Issuers"},
	"1.3.6.1.5.5.7.48.3": {"ad_timestamping", "AD Time Stamping"},
	"1.3.6.1.5.5.7.48.4": {"AD_DVCS", "ad dvcs"},
	"1.3.6.1.5.5.7.48.5": {"caRepository", "CA Repository"},
	"1.3.6.1.5.5.7.2.1":  {"id-qt-cps", "Policy Qualifier CPS"},
	"1.3.6.1.5.5.7.2.2":  {"id-qt-unotice", "Policy Qualifier User Notice"},
	"1.3.6.1.5.5.7.8.5":  {"id-on-xmppAddr", "XmppAddr"},
	"1.3.6.1.5.5.7.8.7":  {"id-on-dnsSRV", "SRVName"},
	"1.3.6.1.5.5.7.8.8":  {"NAIRealm", "NAIRealm"},
	"1.3.6.1.5.5.7.8.9":  {"id-on-SmtpUTF8Mailbox", "Smtp UTF8 Mailbox"},
}

// oidByDER is oidNames keyed by the encoded OID content.
var oidByDER = func() map[string]oidInfo {
	m := make(map[string]oidInfo, len(oidNames))
	for dotted, info := range oidNames {
		m[string(encodeOID(dotted))] = info
	}
	return m
}()

// encodeOID encodes a dotted OID (used to build the table).
func encodeOID(dotted string) []byte {
	parts := strings.Split(dotted, ".")
	arcs := make([]uint64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			panic("bad OID in table: " + dotted)
		}
		arcs[i] = v
	}
	var out []byte
	enc := func(v uint64) {
		var tmp [10]byte
		i := len(tmp) - 1
		tmp[i] = byte(v & 0x7f)
		for v >>= 7; v > 0; v >>= 7 {
			i--
			tmp[i] = byte(v&0x7f) | 0x80
		}
		out = append(out, tmp[i:]...)
	}
	enc(arcs[0]*40 + arcs[1])
	for _, a := range arcs[2:] {
		enc(a)
	}
	return out
}

// lookupOID returns OpenSSL's names for an encoded OID.
func lookupOID(c []byte) (oidInfo, bool) {
	info, ok := oidByDER[string(c)]
	return info, ok
}

// dottedOID formats encoded OID content in dotted form, as OpenSSL's
// OBJ_obj2txt does with numbers only.
func dottedOID(c []byte) string {
	var b []byte
	first := true
	var v uint64
	var big_ *big.Int
	for _, x := range c {
		if big_ == nil && v > (1<<57) {
			big_ = new(big.Int).SetUint64(v)
		}
		if big_ != nil {
			big_.Lsh(big_, 7)
			big_.Or(big_, big.NewInt(int64(x&0x7f)))
		} else {
			v = v<<7 | uint64(x&0x7f)
		}
		if x&0x80 != 0 {
			continue
		}
		if first {
			first = false
			if big_ != nil {
				b = append(b, "2."...)
				b = append(b, big_.Sub(big_, big.NewInt(80)).String()...)
			} else {
				switch {
				case v < 40:
					b = append(b, '0', '.')
					b = strconv.AppendUint(b, v, 10)
				case v < 80:
					b = append(b, '1', '.')
					b = strconv.AppendUint(b, v-40, 10)
				default:
					b = append(b, '2', '.')
					b = strconv.AppendUint(b, v-80, 10)
				}
			}
		} else {
			b = append(b, '.')
			if big_ != nil {
				b = append(b, big_.String()...)
			} else {
				b = strconv.AppendUint(b, v, 10)
			}
		}
		v = 0
		big_ = nil
	}
	return string(b)
}

// oidLongName is OpenSSL's i2t_ASN1_OBJECT: the long name of a known
// object, else its dotted form.
func oidLongName(c []byte) string {
	if info, ok := lookupOID(c); ok {
		return info.ln
	}
	return dottedOID(c)
}

// oidShortName is the short name of a known object, else its dotted form.
func oidShortName(c []byte) string {
	if info, ok := lookupOID(c); ok {
		return info.sn
	}
	return dottedOID(c)
}

// maxID is the original's identifier buffer: names and dotted OIDs are cut
// to 31 characters.
const maxID = 31

func cutID(s string) string {
	if len(s) > maxID {
		return s[:maxID]
	}
	return s
}
