package mappings

// countryTable lists ISO 3166-1: alpha-2|alpha-3|English name|German name|
// other names (";"-separated). Names come from CLDR (via x/text), aliases
// are the spellings shops actually send.
const countryTable = `AD|AND|Andorra|Andorra|
AE|ARE|United Arab Emirates|Vereinigte Arabische Emirate|UAE;VAE
AF|AFG|Afghanistan|Afghanistan|
AG|ATG|Antigua & Barbuda|Antigua und Barbuda|
AI|AIA|Anguilla|Anguilla|
AL|ALB|Albania|Albanien|
AM|ARM|Armenia|Armenien|
AO|AGO|Angola|Angola|
AQ|ATA|Antarctica|Antarktis|
AR|ARG|Argentina|Argentinien|
AS|ASM|American Samoa|Amerikanisch-Samoa|
AT|AUT|Austria|Österreich|Republik Österreich
AU|AUS|Australia|Australien|
AW|ABW|Aruba|Aruba|
AX|ALA|Åland Islands|Ålandinseln|
AZ|AZE|Azerbaijan|Aserbaidschan|
BA|BIH|Bosnia & Herzegovina|Bosnien und Herzegowina|Bosnien-Herzegowina
BB|BRB|Barbados|Barbados|
BD|BGD|Bangladesh|Bangladesch|
BE|BEL|Belgium|Belgien|Belgique;België
BF|BFA|Burkina Faso|Burkina Faso|
BG|BGR|Bulgaria|Bulgarien|
BH|BHR|Bahrain|Bahrain|
BI|BDI|Burundi|Burundi|
BJ|BEN|Benin|Benin|
BL|BLM|St. Barthélemy|St. Barthélemy|
BM|BMU|Bermuda|Bermuda|
BN|BRN|Brunei|Brunei Darussalam|
BO|BOL|Bolivia|Bolivien|Bolivia, Plurinational State of
BQ|BES|Caribbean Netherlands|Bonaire, Sint Eustatius und Saba|Bonaire, Sint Eustatius and Saba;Bonaire
BR|BRA|Brazil|Brasilien|
BS|BHS|Bahamas|Bahamas|
BT|BTN|Bhutan|Bhutan|
BV|BVT|Bouvet Island|Bouvetinsel|
BW|BWA|Botswana|Botsuana|
BY|BLR|Belarus|Belarus|Weißrussland
BZ|BLZ|Belize|Belize|
CA|CAN|Canada|Kanada|
CC|CCK|Cocos (Keeling) Islands|Kokosinseln|Cocos Islands;Keeling Islands
CD|COD|Congo - Kinshasa|Kongo-Kinshasa|Democratic Republic of the Congo;DR Congo;Congo, The Democratic Republic of the;Demokratische Republik Kongo
CF|CAF|Central African Republic|Zentralafrikanische Republik|
CG|COG|Congo - Brazzaville|Kongo-Brazzaville|Republic of the Congo;Congo;Republik Kongo;Kongo
CH|CHE|Switzerland|Schweiz|Suisse;Svizzera;Helvetia
CI|CIV|Côte d’Ivoire|Côte d’Ivoire|Ivory Coast;Elfenbeinküste
CK|COK|Cook Islands|Cookinseln|
CL|CHL|Chile|Chile|
CM|CMR|Cameroon|Kamerun|
CN|CHN|China|China|
CO|COL|Colombia|Kolumbien|
CR|CRI|Costa Rica|Costa Rica|
CU|CUB|Cuba|Kuba|
CV|CPV|Cape Verde|Cabo Verde|Cabo Verde;Kap Verde
CW|CUW|Curaçao|Curaçao|
CX|CXR|Christmas Island|Weihnachtsinsel|
CY|CYP|Cyprus|Zypern|
CZ|CZE|Czechia|Tschechien|Czech Republic;Tschechische Republik
DE|DEU|Germany|Deutschland|Federal Republic of Germany;Bundesrepublik Deutschland;BRD
DJ|DJI|Djibouti|Dschibuti|
DK|DNK|Denmark|Dänemark|Danmark
DM|DMA|Dominica|Dominica|
DO|DOM|Dominican Republic|Dominikanische Republik|
DZ|DZA|Algeria|Algerien|
EC|ECU|Ecuador|Ecuador|
EE|EST|Estonia|Estland|
EG|EGY|Egypt|Ägypten|
EH|ESH|Western Sahara|Westsahara|
ER|ERI|Eritrea|Eritrea|
ES|ESP|Spain|Spanien|España
ET|ETH|Ethiopia|Äthiopien|
FI|FIN|Finland|Finnland|Suomi
FJ|FJI|Fiji|Fidschi|
FK|FLK|Falkland Islands|Falklandinseln|Falkland Islands (Malvinas)
FM|FSM|Micronesia|Mikronesien|Micronesia, Federated States of
FO|FRO|Faroe Islands|Färöer|Färöer-Inseln;Faroe
FR|FRA|France|Frankreich|République française
GA|GAB|Gabon|Gabun|
GB|GBR|United Kingdom|Vereinigtes Königreich|UK;U.K.;Great Britain;Britain;Großbritannien;England;Scotland;Wales;Northern Ireland;Schottland;Nordirland;United Kingdom of Great Britain and Northern Ireland
GD|GRD|Grenada|Grenada|
GE|GEO|Georgia|Georgien|
GF|GUF|French Guiana|Französisch-Guayana|
GG|GGY|Guernsey|Guernsey|
GH|GHA|Ghana|Ghana|
GI|GIB|Gibraltar|Gibraltar|
GL|GRL|Greenland|Grönland|
GM|GMB|Gambia|Gambia|
GN|GIN|Guinea|Guinea|
GP|GLP|Guadeloupe|Guadeloupe|
GQ|GNQ|Equatorial Guinea|Äquatorialguinea|
GR|GRC|Greece|Griechenland|
GS|SGS|South Georgia & South Sandwich Islands|Südgeorgien und die Südlichen Sandwichinseln|South Georgia and the South Sandwich Islands
GT|GTM|Guatemala|Guatemala|
GU|GUM|Guam|Guam|
GW|GNB|Guinea-Bissau|Guinea-Bissau|
GY|GUY|Guyana|Guyana|
HK|HKG|Hong Kong SAR China|Sonderverwaltungsregion Hongkong|Hong Kong;Hongkong
HM|HMD|Heard & McDonald Islands|Heard und McDonaldinseln|Heard Island and McDonald Islands
HN|HND|Honduras|Honduras|
HR|HRV|Croatia|Kroatien|
HT|HTI|Haiti|Haiti|
HU|HUN|Hungary|Ungarn|
ID|IDN|Indonesia|Indonesien|
IE|IRL|Ireland|Irland|Republic of Ireland;Éire
IL|ISR|Israel|Israel|
IM|IMN|Isle of Man|Isle of Man|
IN|IND|India|Indien|
IO|IOT|British Indian Ocean Territory|Britisches Territorium im Indischen Ozean|
IQ|IRQ|Iraq|Irak|
IR|IRN|Iran|Iran|Iran, Islamic Republic of
IS|ISL|Iceland|Island|
IT|ITA|Italy|Italien|Italia
JE|JEY|Jersey|Jersey|
JM|JAM|Jamaica|Jamaika|
JO|JOR|Jordan|Jordanien|
JP|JPN|Japan|Japan|
KE|KEN|Kenya|Kenia|
KG|KGZ|Kyrgyzstan|Kirgisistan|
KH|KHM|Cambodia|Kambodscha|
KI|KIR|Kiribati|Kiribati|
KM|COM|Comoros|Komoren|
KN|KNA|St. Kitts & Nevis|St. Kitts und Nevis|Saint Kitts and Nevis
KP|PRK|North Korea|Nordkorea|Democratic People's Republic of Korea;Korea, Democratic People's Republic of
KR|KOR|South Korea|Südkorea|Korea;Republic of Korea;Korea, Republic of;Republik Korea
KW|KWT|Kuwait|Kuwait|
KY|CYM|Cayman Islands|Kaimaninseln|
KZ|KAZ|Kazakhstan|Kasachstan|
LA|LAO|Laos|Laos|Lao People's Democratic Republic
LB|LBN|Lebanon|Libanon|
LC|LCA|St. Lucia|St. Lucia|
LI|LIE|Liechtenstein|Liechtenstein|Fürstentum Liechtenstein
LK|LKA|Sri Lanka|Sri Lanka|
LR|LBR|Liberia|Liberia|
LS|LSO|Lesotho|Lesotho|
LT|LTU|Lithuania|Litauen|
LU|LUX|Luxembourg|Luxemburg|Lëtzebuerg
LV|LVA|Latvia|Lettland|
LY|LBY|Libya|Libyen|Libyan Arab Jamahiriya
MA|MAR|Morocco|Marokko|
MC|MCO|Monaco|Monaco|
MD|MDA|Moldova|Republik Moldau|Moldova, Republic of;Moldau;Moldawien
ME|MNE|Montenegro|Montenegro|
MF|MAF|St. Martin|St. Martin|Saint Martin (French part)
MG|MDG|Madagascar|Madagaskar|
MH|MHL|Marshall Islands|Marshallinseln|
MK|MKD|Macedonia|Mazedonien|North Macedonia;Nordmazedonien
ML|MLI|Mali|Mali|
MM|MMR|Myanmar (Burma)|Myanmar|Burma
MN|MNG|Mongolia|Mongolei|
MO|MAC|Macau SAR China|Sonderverwaltungsregion Macau|Macau;Macao
MP|MNP|Northern Mariana Islands|Nördliche Marianen|
MQ|MTQ|Martinique|Martinique|
MR|MRT|Mauritania|Mauretanien|
MS|MSR|Montserrat|Montserrat|
MT|MLT|Malta|Malta|
MU|MUS|Mauritius|Mauritius|
MV|MDV|Maldives|Malediven|
MW|MWI|Malawi|Malawi|
MX|MEX|Mexico|Mexiko|
MY|MYS|Malaysia|Malaysia|
MZ|MOZ|Mozambique|Mosambik|
NA|NAM|Namibia|Namibia|
NC|NCL|New Caledonia|Neukaledonien|
NE|NER|Niger|Niger|
NF|NFK|Norfolk Island|Norfolkinsel|
NG|NGA|Nigeria|Nigeria|
NI|NIC|Nicaragua|Nicaragua|
NL|NLD|Netherlands|Niederlande|Holland;The Netherlands
NO|NOR|Norway|Norwegen|Norge
NP|NPL|Nepal|Nepal|
NR|NRU|Nauru|Nauru|
NU|NIU|Niue|Niue|
NZ|NZL|New Zealand|Neuseeland|
OM|OMN|Oman|Oman|
PA|PAN|Panama|Panama|
PE|PER|Peru|Peru|
PF|PYF|French Polynesia|Französisch-Polynesien|
PG|PNG|Papua New Guinea|Papua-Neuguinea|
PH|PHL|Philippines|Philippinen|
PK|PAK|Pakistan|Pakistan|
PL|POL|Poland|Polen|Polska
PM|SPM|St. Pierre & Miquelon|St. Pierre und Miquelon|Saint Pierre and Miquelon
PN|PCN|Pitcairn Islands|Pitcairninseln|Pitcairn
PR|PRI|Puerto Rico|Puerto Rico|
PS|PSE|Palestinian Territories|Palästinensische Autonomiegebiete|Palestine;Palästina;Palestine, State of
PT|PRT|Portugal|Portugal|
PW|PLW|Palau|Palau|
PY|PRY|Paraguay|Paraguay|
QA|QAT|Qatar|Katar|
RE|REU|Réunion|Réunion|
RO|ROU|Romania|Rumänien|
RS|SRB|Serbia|Serbien|
RU|RUS|Russia|Russland|Russian Federation;Russische Föderation
RW|RWA|Rwanda|Ruanda|
SA|SAU|Saudi Arabia|Saudi-Arabien|
SB|SLB|Solomon Islands|Salomonen|
SC|SYC|Seychelles|Seychellen|
SD|SDN|Sudan|Sudan|
SE|SWE|Sweden|Schweden|Sverige
SG|SGP|Singapore|Singapur|
SH|SHN|St. Helena|St. Helena|Saint Helena, Ascension and Tristan da Cunha
SI|SVN|Slovenia|Slowenien|
SJ|SJM|Svalbard & Jan Mayen|Spitzbergen und Jan Mayen|Svalbard
SK|SVK|Slovakia|Slowakei|
SL|SLE|Sierra Leone|Sierra Leone|
SM|SMR|San Marino|San Marino|
SN|SEN|Senegal|Senegal|
SO|SOM|Somalia|Somalia|
SR|SUR|Suriname|Suriname|
SS|SSD|South Sudan|Südsudan|
ST|STP|São Tomé & Príncipe|São Tomé und Príncipe|
SV|SLV|El Salvador|El Salvador|
SX|SXM|Sint Maarten|Sint Maarten|Sint Maarten (Dutch part)
SY|SYR|Syria|Syrien|Syrian Arab Republic
SZ|SWZ|Swaziland|Swasiland|Eswatini
TC|TCA|Turks & Caicos Islands|Turks- und Caicosinseln|
TD|TCD|Chad|Tschad|
TF|ATF|French Southern Territories|Französische Süd- und Antarktisgebiete|
TG|TGO|Togo|Togo|
TH|THA|Thailand|Thailand|
TJ|TJK|Tajikistan|Tadschikistan|
TK|TKL|Tokelau|Tokelau|
TL|TLS|Timor-Leste|Timor-Leste|East Timor;Osttimor
TM|TKM|Turkmenistan|Turkmenistan|
TN|TUN|Tunisia|Tunesien|
TO|TON|Tonga|Tonga|
TR|TUR|Turkey|Türkei|Türkiye
TT|TTO|Trinidad & Tobago|Trinidad und Tobago|
TV|TUV|Tuvalu|Tuvalu|
TW|TWN|Taiwan|Taiwan|Taiwan, Province of China
TZ|TZA|Tanzania|Tansania|Tanzania, United Republic of
UA|UKR|Ukraine|Ukraine|
UG|UGA|Uganda|Uganda|
UM|UMI|U.S. Outlying Islands|Amerikanische Überseeinseln|United States Minor Outlying Islands
US|USA|United States|Vereinigte Staaten|USA;United States of America;U.S.A.;U.S.;America;Vereinigte Staaten von Amerika;Amerika
UY|URY|Uruguay|Uruguay|
UZ|UZB|Uzbekistan|Usbekistan|
VA|VAT|Vatican City|Vatikanstadt|Vatican;Holy See;Vatikan;Holy See (Vatican City State)
VC|VCT|St. Vincent & Grenadines|St. Vincent und die Grenadinen|Saint Vincent and the Grenadines
VE|VEN|Venezuela|Venezuela|Venezuela, Bolivarian Republic of
VG|VGB|British Virgin Islands|Britische Jungferninseln|Virgin Islands, British
VI|VIR|U.S. Virgin Islands|Amerikanische Jungferninseln|Virgin Islands, U.S.;United States Virgin Islands
VN|VNM|Vietnam|Vietnam|Viet Nam
VU|VUT|Vanuatu|Vanuatu|
WF|WLF|Wallis & Futuna|Wallis und Futuna|
WS|WSM|Samoa|Samoa|
XK|XKK|Kosovo|Kosovo|
YE|YEM|Yemen|Jemen|
YT|MYT|Mayotte|Mayotte|
ZA|ZAF|South Africa|Südafrika|
ZM|ZMB|Zambia|Sambia|
ZW|ZWE|Zimbabwe|Simbabwe|
`
