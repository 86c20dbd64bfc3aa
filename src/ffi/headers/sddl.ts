/** sddl.h: security descriptor strings (ConvertStringSecurityDescriptorToSecurityDescriptorW). @module */

export const SDDL_REVISION_1 = 1;
