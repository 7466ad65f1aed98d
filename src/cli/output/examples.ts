/** Flags of a complete configuration, for the examples of the help pages. */
export const RA_EXAMPLE =
  "--certificate device.pem --private-key device.key --trust-anchor-arn arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/TA --profile-arn arn:aws:rolesanywhere:us-east-1:111122223333:profile/P --role-arn arn:aws:iam::111122223333:role/R";
export const IOT_EXAMPLE =
  "--certificate thing.pem --private-key thing.key --role-alias my-alias --thing-name my-thing --endpoint c2abc.credentials.iot.us-east-1.amazonaws.com";
